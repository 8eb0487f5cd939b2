//! Key Vault lookups: concurrency and single flight, against the emulator answering every
//! Key Vault request after 100 ms.
//!
//! `cargo bench -p vaultlink-e2e --bench keyvault`
//!
//! Prints, for 20 distinct secrets, the time to resolve them all side by side (one after
//! the other they would take at least 20 × 100 ms), and, for 1,000 concurrent lookups of one
//! secret, how many Key Vault requests they caused and how long they took.

use std::sync::Arc;
use std::time::{Duration, Instant};

use vaultlink::azure::endpoints::Endpoints;
use vaultlink::azure::{App, Azure, Method};
use vaultlink::vault::identifier::SecretId;
use vaultlink_e2e::emulator::Emulator;

const KV: &str = "corp-kv.vault.azure.net";
const DELAY: Duration = Duration::from_millis(100);

struct NoUi;

impl vaultlink::azure::Interaction for NoUi {
    fn open_page<'a>(&'a self, _: &'a str) -> futures::future::BoxFuture<'a, Result<(), String>> {
        Box::pin(async { Err("no browser in a benchmark".to_owned()) })
    }
    fn show_device_code<'a>(&'a self, _: &'a str) -> futures::future::BoxFuture<'a, ()> {
        Box::pin(async {})
    }
}

fn main() {
    let emu = Emulator::start();
    for i in 0..20 {
        emu.add_secret(KV, &format!("s{i:02}"), &format!("value-{i}"));
    }
    emu.add_secret(KV, "hot", "hot-value");
    for (k, v) in emu.sp_env() {
        // SAFETY: set before any other thread of this process reads the environment.
        unsafe { std::env::set_var(k, v) };
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let endpoints = Endpoints::from_values(Some(&emu.url()), Some(&emu.url()));
    let azure = Arc::new(Azure::new(endpoints));
    let app = App {
        tenant: "organizations".to_owned(),
        client_id: "04b07795-8ddb-461a-bbee-02f9e1bf7b46".to_owned(),
        additionally_allowed_tenants: Vec::new(),
    };
    let id = |name: &str| SecretId::parse(&format!("https://{KV}/secrets/{name}")).unwrap();

    rt.block_on(async {
        let started = Instant::now();
        azure
            .sign_in(Method::Environment, &app, false, &NoUi)
            .await
            .expect("the emulator's service principal signs in");
        let sign_in = started.elapsed();
        // The tenant comes from the vault's challenge: learn it once, outside the timing.
        azure.value(&id("s00")).await.expect("a first value");
        azure.clear_cache();
        emu.set_delay(DELAY);

        let ids: Vec<SecretId> = (0..20).map(|i| id(&format!("s{i:02}"))).collect();
        let before = emu.requests().len();
        let started = Instant::now();
        let values = futures::future::join_all(ids.iter().map(|i| azure.value(i))).await;
        let distinct = started.elapsed();
        assert!(values.iter().all(Result::is_ok), "every value resolves");
        let requests = emu.requests().len() - before;

        let hot = id("hot");
        let before = emu.requests().len();
        let started = Instant::now();
        let lookups: Vec<_> = (0..1000)
            .map(|_| {
                let (azure, hot) = (azure.clone(), hot.clone());
                tokio::spawn(async move { azure.value(&hot).await.is_ok() })
            })
            .collect();
        let mut ok = 0;
        for l in lookups {
            ok += usize::from(l.await.unwrap());
        }
        let single = started.elapsed();
        let hot_requests = emu.requests()[before..]
            .iter()
            .filter(|r| r.path.starts_with("/secrets/hot"))
            .count();

        println!("Key Vault lookups against the emulator, every answer delayed {} ms", DELAY.as_millis());
        println!("  sign-in (environment, client credentials): {:.1} ms", ms(sign_in));
        println!(
            "  20 distinct secrets, side by side:        {:.1} ms, {requests} requests (one after the other: >= {} ms)",
            ms(distinct),
            20 * DELAY.as_millis()
        );
        println!(
            "  1,000 lookups of one secret:              {:.1} ms, {hot_requests} Key Vault request(s), {ok} answers"
        , ms(single));
    });
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
