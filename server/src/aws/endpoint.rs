//! Where AWS requests go: a service's own endpoint, or the one the AWS SDKs' variables
//! (`AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL`) name — `https`, or plain `http`
//! only to a loopback host.

/// The endpoint for a service: the first of `vars` that is set, checked, else `default`.
pub fn endpoint(
    vars: &[&str],
    default: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<url::Url, String> {
    let configured = vars
        .iter()
        .find_map(|v| env(v).filter(|s| !s.trim().is_empty()).map(|s| (*v, s)));
    let Some((var, text)) = configured else {
        return url::Url::parse(default).map_err(|e| e.to_string());
    };
    let bad = |why: &str| format!("{var} {why}; no request was sent");
    let url = url::Url::parse(text.trim()).map_err(|_| bad("is not a URL"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must not carry credentials"));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(bad("uses plain http to a host that is not loopback")),
        _ => Err(bad("must be an https URL")),
    }
}

/// Whether the URL's host is a loopback address or `localhost`.
pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(a)) => a.is_loopback(),
        Some(url::Host::Ipv6(a)) => a.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}
