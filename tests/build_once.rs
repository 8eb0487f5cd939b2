//! Building vaultlink and the end-to-end crate shares every dependency: each package that both
//! `cargo build -p vaultlink` and `cargo build -p vaultlink-e2e` compile gets the same features
//! in both, so the README's quickstart and the `cargo install` after it compile each crate once.
//! Cargo compiles a crate again for every distinct feature set, and so for everything above it.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// `package version` → its enabled features, for the normal and build dependencies of `package`
/// on this machine's target, as `cargo tree` resolves them for a build of that package alone.
fn features(package: &str) -> BTreeMap<String, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .args([
            "tree",
            "--locked",
            "--offline",
            "-p",
            package,
            "-e",
            "normal,build",
            "--prefix",
            "none",
            "-f",
            "{p}\t{f}",
        ])
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree -p {package} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let (p, f) = l.trim_end_matches(" (*)").split_once('\t')?;
            // `vaultlink v0.1.0 (/path/to/server)`: the name and version are what matter.
            let p: Vec<&str> = p.split(' ').take(2).collect();
            Some((p.join(" "), f.to_string()))
        })
        .collect()
}

#[test]
fn the_product_and_the_end_to_end_crate_build_shared_dependencies_with_the_same_features() {
    let product = features("vaultlink");
    let e2e = features("vaultlink-e2e");
    assert!(
        product.keys().any(|k| k.starts_with("tokio ")),
        "cargo tree lists vaultlink's dependencies: {product:?}"
    );
    let differing: Vec<String> = product
        .iter()
        .filter_map(|(p, f)| {
            let other = e2e.get(p)?;
            (other != f).then(|| format!("{p}\n  vaultlink:     [{f}]\n  vaultlink-e2e: [{other}]"))
        })
        .collect();
    assert!(
        differing.is_empty(),
        "these crates would be compiled twice, once per feature set; ask for the end-to-end \
         crate's features in server/Cargo.toml too:\n{}",
        differing.join("\n")
    );
}

/// What `cargo <args> --message-format=json` builds: for each crate from a registry or a git
/// repository (not this workspace's), its `package target` → the files cargo made for it. The
/// file names carry the hash of everything the compilation depended on (profile, features,
/// dependencies), so equal names are one compilation shared.
fn dependency_artifacts(args: &[&str]) -> BTreeMap<String, Vec<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .args(args)
        .args(["--locked", "--offline", "--message-format=json"])
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut artifacts = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(m) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let id = m["package_id"].as_str().unwrap_or_default();
        if m["reason"] != "compiler-artifact" || id.starts_with("path+") {
            continue;
        }
        let key = format!("{id} {}", m["target"]["name"].as_str().unwrap_or_default());
        let files = m["filenames"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f.as_str().map(String::from))
            .collect();
        artifacts.insert(key, files);
    }
    artifacts
}

#[test]
fn the_test_command_links_the_dependencies_the_quickstart_built() {
    // The profile this suite was built in: tests run from target/<profile>/deps.
    let exe = std::env::current_exe().expect("the test executable has a path");
    let profile = exe
        .parent()
        .and_then(Path::parent)
        .and_then(Path::file_name)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    assert_eq!(
        profile, "release",
        "the quickstart builds in release; a test suite built in another profile compiles every \
         dependency again (scripts/test.sh runs `cargo nextest run --workspace --release`)"
    );
    // The README's first command, then the test command's build (what `cargo nextest run
    // --workspace --release` asks cargo for). Both are built already when this test runs, and
    // cargo only lists what it has.
    let quickstart = dependency_artifacts(&[
        "build",
        "--release",
        "-p",
        "vaultlink-e2e",
        "--bin",
        "quickstart",
    ]);
    let tests = dependency_artifacts(&["test", "--workspace", "--release", "--no-run"]);
    assert!(
        quickstart.keys().any(|k| k.contains("tokio@")),
        "cargo lists the quickstart's dependencies: {quickstart:?}"
    );
    let again: Vec<String> = quickstart
        .iter()
        .filter(|(k, files)| tests.get(*k) != Some(*files))
        .map(|(k, files)| {
            format!(
                "{k}\n  quickstart: {files:?}\n  tests:      {:?}",
                tests.get(k)
            )
        })
        .collect();
    assert!(
        again.is_empty(),
        "the test command compiles these again, with other features or settings than the \
         quickstart's build:\n{}",
        again.join("\n")
    );
}
