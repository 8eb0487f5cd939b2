//! The layering of ARCHITECTURE.md, read from the sources: the pure layers (`text/`,
//! `syntax/`, `vault/`) name no secret store's module, and no two modules import each
//! other, directly or through others — between the top-level modules, and between the
//! modules of each folder.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The modules that talk to a secret store, and the registry of them.
const PROVIDERS: &[&str] = &["azure", "aws", "providers"];
/// The layers that never name one.
const PURE: &[&str] = &["text", "syntax", "vault"];

fn sources() -> Vec<(Vec<String>, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs")
                // A module's `tests.rs` is its `#[cfg(test)]` module: not part of the layering.
                && path.file_name().is_some_and(|n| n != "tests.rs")
            {
                out.push((
                    module_of(&root, &path),
                    std::fs::read_to_string(&path).unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}

/// `src/vault/features/live.rs` → `[vault, features, live]`; `src/azure/mod.rs` → `[azure]`.
fn module_of(root: &Path, path: &Path) -> Vec<String> {
    let rel: PathBuf = path.strip_prefix(root).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts
        .last()
        .is_some_and(|p| p == "mod" || p == "lib" || p == "main")
    {
        parts.pop();
    }
    parts
}

/// The code of a file without its tests (a `#[cfg(test)]` module at the end) and comments.
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .map(|l| match l.trim_start().starts_with("//") {
            true => "",
            false => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// Every module path a file names, two levels deep: `crate::vault::links::X` → `[vault,
/// links]`, `super::server` in `lsp/send.rs` → `[lsp, server]`, and each path of a
/// `crate::{a::b, c}` group.
fn references(module: &[String], text: &str) -> BTreeSet<Vec<String>> {
    let mut out = BTreeSet::new();
    let text = code(text);
    let mut push_path = |base: Vec<String>, rest: &str| {
        let mut path = base;
        let mut rest = rest;
        while path.len() < 2 {
            let name = ident(rest);
            if name.is_empty() {
                break;
            }
            path.push(name.to_owned());
            rest = &rest[name.len()..];
            match rest.strip_prefix("::") {
                Some(r) if !r.starts_with('{') => rest = r,
                _ => break,
            }
        }
        if !path.is_empty() {
            out.insert(path);
        }
    };
    for (i, _) in text.match_indices("crate::") {
        if i > 0 && text[..i].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &text[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let body = &group[..group.find('}').unwrap_or(group.len())];
            for item in body.split(',') {
                push_path(Vec::new(), item.trim());
            }
        } else {
            push_path(Vec::new(), rest);
        }
    }
    for (i, _) in text.match_indices("super::") {
        if i > 0 && text[..i].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':')
        {
            continue;
        }
        let parent: Vec<String> = module[..module.len().saturating_sub(1)].to_vec();
        push_path(parent, &text[i + "super::".len()..]);
    }
    out
}

/// The module graph at `depth` (1: top-level modules; 2: the modules of each folder), edges
/// between different nodes only.
fn graph(depth: usize) -> BTreeMap<String, BTreeSet<String>> {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let cut = |m: &[String]| m.iter().take(depth).cloned().collect::<Vec<_>>().join("::");
    for (module, text) in sources() {
        // Tests may use any module.
        if module.is_empty() || module.last().is_some_and(|m| m == "tests") {
            continue;
        }
        let from = cut(&module);
        for target in references(&module, &text) {
            // At depth 2, only edges within one folder count (the folders' own graph is
            // depth 1).
            if depth == 2 && (module.len() < 2 || target.len() < 2 || target[0] != module[0]) {
                continue;
            }
            let to = cut(&target);
            if to != from {
                g.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    g
}

/// A cycle of the graph, if any.
fn cycle(g: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(n.to_owned(), 1);
        stack.push(n.to_owned());
        for m in g.get(n).into_iter().flatten() {
            match state.get(m.as_str()) {
                Some(1) => {
                    let start = stack.iter().position(|s| s == m).unwrap();
                    let mut c = stack[start..].to_vec();
                    c.push(m.clone());
                    return Some(c);
                }
                Some(_) => {}
                None => {
                    if let Some(c) = visit(m, g, state, stack) {
                        return Some(c);
                    }
                }
            }
        }
        stack.pop();
        state.insert(n.to_owned(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in g.keys() {
        if !state.contains_key(n.as_str())
            && let Some(c) = visit(n, g, &mut state, &mut Vec::new())
        {
            return Some(c);
        }
    }
    None
}

#[test]
fn pure_layers_name_no_secret_store() {
    let mut found = Vec::new();
    for (module, text) in sources() {
        if !module.first().is_some_and(|m| PURE.contains(&m.as_str())) {
            continue;
        }
        for target in references(&module, &text) {
            if PROVIDERS.contains(&target[0].as_str()) {
                found.push(format!("{} names {}", module.join("::"), target.join("::")));
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn no_import_cycle_between_top_level_modules() {
    let g = graph(1);
    assert!(g.contains_key("vault") && g.contains_key("azure"), "{g:?}");
    assert_eq!(cycle(&g), None, "{g:#?}");
}

/// Edges of cycles that are known and not yet broken.
/// Edges of a known cycle, each to be taken out once the cycle is broken. None today.
const KNOWN: &[(&str, &str)] = &[];

#[test]
fn no_import_cycle_between_the_modules_of_a_folder() {
    let mut g = graph(2);
    for (from, to) in KNOWN {
        assert!(
            g.get_mut(*from).is_some_and(|e| e.remove(*to)),
            "{from} → {to} is gone: take it out of KNOWN"
        );
    }
    assert!(g.contains_key("lsp::server"), "{g:?}");
    assert_eq!(cycle(&g), None, "{g:#?}");
}

/// The scanner sees what it must: a cycle written into a graph is found, and the references
/// of a file come out as module paths.
#[test]
fn the_scanner_reads_paths_and_finds_cycles() {
    let module = vec!["lsp".to_owned(), "send".to_owned()];
    let refs = references(
        &module,
        "use crate::{azure::Azure, vault::features::live};\nuse super::server::Publisher;\nfn f() { crate::aws::Aws::default(); }\n// crate::cli::x\n",
    );
    let refs: Vec<String> = refs.into_iter().map(|r| r.join("::")).collect();
    assert_eq!(
        refs,
        ["aws::Aws", "azure::Azure", "lsp::server", "vault::features"]
    );
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("c".into());
    assert_eq!(cycle(&g), None);
    g.entry("c".into()).or_default().insert("a".into());
    assert_eq!(
        cycle(&g).map(|c| c.join(" → ")),
        Some("a → b → c → a".to_owned())
    );
}

/// The protocol's types appear only under `lsp/`: the rest of vaultlink speaks byte offsets
/// and plain data.
#[test]
fn protocol_types_appear_only_in_the_language_server() {
    let mut found = Vec::new();
    for (module, text) in sources() {
        if module.first().is_some_and(|m| m == "lsp") {
            continue;
        }
        let code = code(&text);
        for name in ["tower_lsp_server", "ls_types", "lsp_types"] {
            if code.contains(name) {
                found.push(format!("{} names {name}", module.join("::")));
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}

/// Within the language server, positions are converted only by `to_proto` and `from_proto`,
/// and JSON-RPC errors are made only by `error` (every handler returns `lsp::error::Error`
/// and `server` turns it into the protocol's with `?`).
#[test]
fn the_language_server_converts_in_one_place() {
    let rules: &[(&str, &[&str], &[&str])] = &[
        (
            "converts positions",
            &["line_col(", "LineCol", "Position {", "Range {"],
            &["to_proto", "from_proto"],
        ),
        (
            "makes JSON-RPC errors",
            &["jsonrpc::Error", "ErrorCode", "jsonrpc::{"],
            &["error"],
        ),
    ];
    let mut found = Vec::new();
    for (module, text) in sources() {
        if module.first().is_none_or(|m| m != "lsp") || module.len() < 2 {
            continue;
        }
        let code = code(&text);
        for (what, needles, allowed) in rules {
            if allowed.contains(&module[1].as_str()) {
                continue;
            }
            if let Some(needle) = needles.iter().find(|n| code.contains(**n)) {
                found.push(format!("{} {what} (`{needle}`)", module.join("::")));
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}
