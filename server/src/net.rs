//! What every store and `send` share on the network: a client builder that keeps loopback
//! traffic away from proxies, and errors written on one line with their causes.

/// A client builder with the environment's proxies (`HTTPS_PROXY`, `HTTP_PROXY`,
/// `ALL_PROXY` and `NO_PROXY`, in upper or lower case) for every host but loopback ones:
/// `127.0.0.0/8`, `::1` and `localhost` are always reached directly, so that what goes to a
/// local endpoint (a client secret, a token, a secret value) never passes through a proxy.
pub fn builder() -> reqwest::ClientBuilder {
    let no_proxy = || reqwest::NoProxy::from_string(&never_proxied());
    type Make = fn(&str) -> reqwest::Result<reqwest::Proxy>;
    let kinds: [([&str; 2], Make); 3] = [
        (["HTTPS_PROXY", "https_proxy"], |u| reqwest::Proxy::https(u)),
        (["HTTP_PROXY", "http_proxy"], |u| reqwest::Proxy::http(u)),
        (["ALL_PROXY", "all_proxy"], |u| reqwest::Proxy::all(u)),
    ];
    let mut builder = reqwest::Client::builder().no_proxy();
    for (names, make) in kinds {
        if let Some(proxy) = var(names).and_then(|url| make(&url).ok()) {
            builder = builder.proxy(proxy.no_proxy(no_proxy()));
        }
    }
    builder
}

/// The same proxies as [`builder`]'s, as a matcher for `send`'s own client.
pub fn proxies() -> hyper_util::client::proxy::matcher::Matcher {
    hyper_util::client::proxy::matcher::Matcher::builder()
        .https(var(["HTTPS_PROXY", "https_proxy"]).unwrap_or_default())
        .http(var(["HTTP_PROXY", "http_proxy"]).unwrap_or_default())
        .all(var(["ALL_PROXY", "all_proxy"]).unwrap_or_default())
        .no(never_proxied())
        .build()
}

/// The first of `names` set to something in the environment.
fn var(names: [&str; 2]) -> Option<String> {
    names
        .iter()
        .find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()))
}

/// Loopback hosts, then the environment's `NO_PROXY`.
fn never_proxied() -> String {
    let listed = var(["NO_PROXY", "no_proxy"]).unwrap_or_default();
    format!("127.0.0.0/8,::1,localhost,{listed}")
}

/// An error and its sources on one line.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}
