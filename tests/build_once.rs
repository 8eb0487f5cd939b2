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
