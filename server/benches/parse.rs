//! Parse + offline analysis of the shared benchmark inputs (a 5 MB `.http` file and a 5 MB
//! Postman collection): time and peak heap for each, against the goals of the contract.
//!
//! `cargo bench -p vaultlink --bench parse` — inputs are generated with the generators in the
//! shared `bench/` folder (`VAULTLINK_SHARED`, else `../shared` beside the repository).

use std::alloc::{GlobalAlloc, Layout};

use mimalloc::MiMalloc as System;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

use vaultlink::vault::analysis::Context;
use vaultlink::vault::document::{DocKind, Parsed};
use vaultlink::vault::links;

/// Counts live heap bytes and their peak, over the allocator the binary uses.
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
/// Counting costs two atomic operations per allocation: it is on only for the memory run.
static COUNTING: AtomicBool = AtomicBool::new(false);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() && COUNTING.load(Relaxed) {
            let live = LIVE.fetch_add(layout.size(), Relaxed) + layout.size();
            PEAK.fetch_max(live, Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        if COUNTING.load(Relaxed) {
            LIVE.fetch_sub(layout.size(), Relaxed);
        }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() && COUNTING.load(Relaxed) {
            if new_size >= layout.size() {
                let live =
                    LIVE.fetch_add(new_size - layout.size(), Relaxed) + new_size - layout.size();
                PEAK.fetch_max(live, Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn shared() -> PathBuf {
    std::env::var_os("VAULTLINK_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"))
}

fn generate(generator: &str, out: &Path) {
    if out.is_file() {
        return;
    }
    let script = shared().join("bench").join(generator);
    let status = Command::new("python3")
        .arg(&script)
        .arg("5")
        .arg(out)
        .status()
        .unwrap_or_else(|e| panic!("python3 {}: {e}", script.display()));
    assert!(status.success(), "{} failed", script.display());
}

/// The links the generated inputs use, so references are linked as in a real project.
fn links_text() -> String {
    let mut entries: Vec<String> = (0..50)
        .map(|i| format!("    \"api-token-{i}\": {{ \"link\": \"https://bench-kv.vault.azure.net/secrets/api-token-{i}\", \"allowedDomains\": [\"*.example.test\"] }}"))
        .collect();
    entries.push("    \"db-password\": { \"link\": \"https://bench-kv.vault.azure.net/secrets/db-password\" }".into());
    format!("{{\n  \"secrets\": {{\n{}\n  }}\n}}\n", entries.join(",\n"))
}

struct Figures {
    parse: Vec<Duration>,
    analysis: Vec<Duration>,
    peak: usize,
    findings: usize,
}

fn measure(kind: DocKind, text: &str, runs: usize) -> Figures {
    let links_src = links_text();
    let links = links::parse(&links_src);
    let ctx = Context {
        links: Some(&links),
        envs: &[],
        env_name: None,
    };
    let mut f = Figures {
        parse: Vec::new(),
        analysis: Vec::new(),
        peak: 0,
        findings: 0,
    };
    // One counted run for memory: what parse and analysis allocate on top of the input.
    COUNTING.store(true, Relaxed);
    let base = LIVE.load(Relaxed);
    PEAK.store(base, Relaxed);
    let parsed = Parsed::parse(kind, text);
    let findings = parsed.analyze(text, &ctx);
    f.peak = PEAK.load(Relaxed) - base;
    drop((parsed, findings));
    COUNTING.store(false, Relaxed);
    for run in 0..runs + 2 {
        let t0 = Instant::now();
        let parsed = Parsed::parse(kind, text);
        let t1 = Instant::now();
        let findings = parsed.analyze(text, &ctx);
        let t2 = Instant::now();
        f.findings = findings.len();
        drop((parsed, findings));
        if run >= 2 {
            // The first two runs warm caches and the allocator.
            f.parse.push(t1 - t0);
            f.analysis.push(t2 - t1);
        }
    }
    f
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-inputs");
    std::fs::create_dir_all(&dir).unwrap();
    let http = dir.join("big.http");
    let coll = dir.join("big_collection.json");
    generate("gen_http.py", &http);
    generate("gen_collection.py", &coll);

    println!(
        "parse + offline analysis, one thread; median (min) of 20 runs; goal: < 25 ms and < 100 MB each"
    );
    println!(
        "{:<22} {:>8} {:>9} {:>14} {:>14} {:>14} {:>10}",
        "input", "MB", "findings", "parse ms", "analysis ms", "total ms", "peak MB"
    );
    for (path, kind) in [(&http, DocKind::Http), (&coll, DocKind::Collection)] {
        let text = std::fs::read_to_string(path).unwrap();
        let mut f = measure(kind, &text, 20);
        let totals: Vec<Duration> = f
            .parse
            .iter()
            .zip(&f.analysis)
            .map(|(a, b)| *a + *b)
            .collect();
        let mut totals_sorted = totals.clone();
        let (pmin, amin, tmin) = (
            *f.parse.iter().min().unwrap(),
            *f.analysis.iter().min().unwrap(),
            *totals.iter().min().unwrap(),
        );
        println!(
            "{:<22} {:>8.2} {:>9} {:>7.2} ({:>4.2}) {:>7.2} ({:>4.2}) {:>7.2} ({:>4.2}) {:>10.1}",
            path.file_name().unwrap().to_string_lossy(),
            text.len() as f64 / 1e6,
            f.findings,
            ms(median(&mut f.parse)),
            ms(pmin),
            ms(median(&mut f.analysis)),
            ms(amin),
            ms(median(&mut totals_sorted)),
            ms(tmin),
            f.peak as f64 / 1e6,
        );
    }
}
