//! The fuzz targets on stable: every input of the committed corpus (`fuzz/corpus/<target>/`)
//! replayed through its target's properties (`vaultlink::fuzz`), then a bounded random search
//! that mutates those inputs for a few seconds per target.
//!
//! `VAULTLINK_FUZZ_SECONDS` sets the search's time per target (default 5; 0 replays only);
//! `VAULTLINK_FUZZ_SEED` repeats a search. A failing input is written to
//! `target/fuzz-failures/` to be added to the corpus once fixed. The long runs are libFuzzer's,
//! on nightly: `scripts/fuzz.sh`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target)
}

fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = corpus_dir(target);
    let mut inputs: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the corpus of `{target}` at {}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.expect("a corpus entry").path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).expect("a corpus file"))
        })
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "the corpus of `{target}` is empty");
    inputs
}

fn target_fn(target: &str) -> vaultlink::fuzz::Target {
    vaultlink::fuzz::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .unwrap_or_else(|| panic!("no fuzz target `{target}`"))
        .1
}

/// Keeps a failing input where it can be looked at and added to the corpus.
fn keep_failure(target: &str, input: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/fuzz-failures");
    let _ = std::fs::create_dir_all(&dir);
    let hash = input.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let path = dir.join(format!("{target}-{hash:016x}"));
    let _ = std::fs::write(&path, input);
    path
}

/// Pieces that matter to the parsers, spliced in by the search.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "\"",
    ":",
    ",",
    "\\",
    "\\u",
    "\\ud83d",
    "\\ude00",
    "\\u00e9",
    "\\\"",
    "{{",
    "}}",
    "{{vault:",
    "{{vault:a}}",
    "{{$uuid}}",
    "{{env}}",
    "pm.vault.get(\"",
    "\")",
    "\r\n",
    "\r",
    "\n",
    "###",
    "GET ",
    "POST https://x.test/",
    " HTTP/1.1",
    "Host: ",
    "# @name ",
    "@v = ",
    "< ./payload.json",
    "> {% %}",
    "<> ",
    "//",
    "/*",
    "*/",
    "\u{FEFF}",
    "é",
    "😀",
    "\t",
    "\"secrets\"",
    "\"link\"",
    "\"allowedDomains\"",
    "\"item\"",
    "\"request\"",
    "\"url\"",
    "\"values\"",
    "\"$shared\"",
    "\"provider\": \"AzureKeyVault\"",
    "true",
    "null",
    "-0.5e+3",
    "https://corp-kv.vault.azure.net/secrets/a",
    "/4387e9f3d6e14c459867679a90fd0f79",
];

fn mutate(rng: &mut fastrand::Rng, input: &mut Vec<u8>, others: &[(String, Vec<u8>)]) {
    for _ in 0..rng.usize(1..=8) {
        let at = rng.usize(..=input.len());
        match rng.u8(..7) {
            0 if !input.is_empty() => {
                let i = rng.usize(..input.len());
                input[i] = rng.u8(..);
            }
            1 => input.insert(at, rng.u8(..)),
            2 if !input.is_empty() => {
                let end = (at + rng.usize(1..=16)).min(input.len());
                input.drain(at.min(end)..end);
            }
            3 if at < input.len() => {
                let end = (at + rng.usize(1..=64)).min(input.len());
                let piece = input[at..end].to_vec();
                let to = rng.usize(..=input.len());
                input.splice(to..to, piece);
            }
            4 => {
                let (_, other) = &others[rng.usize(..others.len())];
                if !other.is_empty() {
                    let from = rng.usize(..other.len());
                    let end = (from + rng.usize(1..=256)).min(other.len());
                    input.splice(at..at, other[from..end].iter().copied());
                }
            }
            _ => {
                let token = TOKENS[rng.usize(..TOKENS.len())].as_bytes();
                input.splice(at..at, token.iter().copied());
            }
        }
    }
    input.truncate(64 * 1024);
}

fn run(target: &str) {
    let f = target_fn(target);
    let inputs = corpus(target);
    let mut failures = Vec::new();
    for (name, input) in &inputs {
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| f(input))) {
            failures.push(format!("{name}: {}", message(&panic)));
        }
    }
    assert!(
        failures.is_empty(),
        "`{target}` fails on corpus inputs:\n{}",
        failures.join("\n")
    );

    let seconds: u64 = std::env::var("VAULTLINK_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let seed: u64 = std::env::var("VAULTLINK_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    let mut rng = fastrand::Rng::with_seed(seed);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut runs = 0u64;
    while Instant::now() < deadline {
        let mut input = inputs[rng.usize(..inputs.len())].1.clone();
        mutate(&mut rng, &mut input, &inputs);
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| f(&input))) {
            let kept = keep_failure(target, &input);
            panic!(
                "`{target}` fails after {runs} random inputs (VAULTLINK_FUZZ_SEED={seed}): {}\ninput kept at {}: {:?}",
                message(&panic),
                kept.display(),
                String::from_utf8_lossy(&input[..input.len().min(400)])
            );
        }
        runs += 1;
    }
    eprintln!(
        "{target}: {} corpus inputs, {runs} random inputs (seed {seed})",
        inputs.len()
    );
}

fn message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "a panic".to_owned())
}

macro_rules! targets {
    ($($name:ident),* $(,)?) => {
        $(#[test]
        fn $name() {
            run(stringify!($name));
        })*

        #[test]
        fn every_target_has_a_test() {
            let tested = [$(stringify!($name)),*];
            for (name, _) in vaultlink::fuzz::TARGETS {
                assert!(tested.contains(name), "`{name}` has no test here");
            }
        }
    };
}

targets!(
    json,
    http,
    collection,
    environment,
    links,
    links_edit,
    refs,
    identifier,
    send_plan,
    line_index,
    incremental_edits,
);
