//! README's dialect table names, for each row, the tests that show it: every row names at
//! least one, and every test it names exists.

use std::path::Path;

#[test]
fn every_dialect_row_names_tests_that_exist() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("../README.md")).expect("README.md");
    let table = readme
        .split("### Dialects")
        .nth(1)
        .expect("README.md has a Dialects section");
    let rows: Vec<&str> = table
        .lines()
        .skip_while(|l| !l.starts_with("| construct"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .collect();
    assert!(
        rows.len() >= 10,
        "the dialect table has {} rows",
        rows.len()
    );
    let mut sources = String::new();
    for dir in ["src/syntax", "src/vault", "src/cli", "src/send"] {
        collect(&root.join(dir), true, &mut sources);
    }
    // The end-to-end tests, at the top of their folder only.
    collect(&root.join("../tests"), false, &mut sources);
    for row in rows {
        let tests_cell = row.trim_end_matches('|').rsplit('|').next().unwrap_or("");
        let names: Vec<&str> = tests_cell
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|n| n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            .collect();
        assert!(!names.is_empty(), "this row names no test: {row}");
        for name in names {
            assert!(
                sources.contains(&format!("fn {name}()")),
                "README names the test `{name}`, which does not exist"
            );
        }
    }
}

fn collect(dir: &Path, recursive: bool, out: &mut String) {
    for entry in std::fs::read_dir(dir).expect("a source folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            if recursive {
                collect(&path, true, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push_str(&std::fs::read_to_string(&path).expect("a source file"));
        }
    }
}
