//! The HTTP client Azure requests use, and its adapter to the `oauth2` crate's client trait
//! (the crate's own adapter is tied to an older `reqwest`; one version stays in the tree).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use oauth2::{AsyncHttpClient, HttpClientError, HttpRequest, HttpResponse};

/// A client builder with the environment's proxies (`HTTPS_PROXY`, `HTTP_PROXY`,
/// `ALL_PROXY` and `NO_PROXY`, in upper or lower case) for every host but loopback ones:
/// `127.0.0.0/8`, `::1` and `localhost` are always reached directly, so that what goes to a
/// local endpoint (a client secret, a token, a secret value) never passes through a proxy.
pub fn builder() -> reqwest::ClientBuilder {
    let var = |names: [&str; 2]| {
        names
            .iter()
            .find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()))
    };
    let no_proxy = || {
        let listed = var(["NO_PROXY", "no_proxy"]).unwrap_or_default();
        reqwest::NoProxy::from_string(&format!("127.0.0.0/8,::1,localhost,{listed}"))
    };
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

/// A client for sign-in and Key Vault: no redirects (a token request must never be
/// forwarded elsewhere, and Key Vault does not redirect), bounded connect and total time
/// (60 s, or `VAULTLINK_AZURE_TIMEOUT_SECS`).
pub fn client() -> reqwest::Client {
    let total = std::env::var("VAULTLINK_AZURE_TIMEOUT_SECS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|s| *s > 0)
        .map_or(Duration::from_secs(60), Duration::from_secs);
    builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10).min(total))
        .timeout(total)
        .user_agent(concat!("vaultlink/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the TLS backend initialises")
}

/// `reqwest::Client` as an `oauth2` HTTP client.
pub struct OAuthHttp<'a>(pub &'a reqwest::Client);

impl<'c> AsyncHttpClient<'c> for OAuthHttp<'_> {
    type Error = HttpClientError<reqwest::Error>;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, Self::Error>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let request = reqwest::Request::try_from(request).map_err(Box::new)?;
            let response = self.0.execute(request).await.map_err(Box::new)?;
            let mut builder = http::Response::builder()
                .status(response.status())
                .version(response.version());
            for (name, value) in response.headers() {
                builder = builder.header(name, value);
            }
            let body = response.bytes().await.map_err(Box::new)?;
            builder.body(body.to_vec()).map_err(HttpClientError::Http)
        })
    }
}
