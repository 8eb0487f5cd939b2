//! The properties every parser and the analysis keep under any input, one function per fuzz
//! target. The libFuzzer targets in `fuzz/` call them on a nightly toolchain; on stable,
//! `server/tests/fuzz.rs` replays the committed corpus through them and runs a bounded random
//! search. Each function panics when a property fails, with what failed.
//!
//! Properties, beyond "no panic": every range lies within the text and on character
//! boundaries; the work takes CPU time within a bound linear in the input; JSON that
//! `serde_json` accepts parses without errors to the same values; link and unlink edits leave
//! valid JSON and every other byte of `vaultlink.json` as it was; identifiers round-trip;
//! incremental edits give the text a from-scratch application gives.

use std::collections::HashMap;
use std::path::Path;

use crate::send::plan::{self, Dynamics, EarlierResponse, Inputs};
use crate::syntax::json::{self, JsonString, Value, ValueKind};
use crate::syntax::{env, refs};
use crate::text::{Change, Encoding, LineCol, LineIndex, TextRange, apply_changes};
use crate::vault::analysis::{Context, EnvSource};
use crate::vault::document::{DocKind, Parsed};
use crate::vault::features::{Doc, EnvFileSource, LinksSource, World};
use crate::vault::identifier::{self, SecretId};
use crate::vault::links::{self, EditError};

/// A fuzz target: the properties checked on one input.
pub type Target = fn(&[u8]);

/// Every target, by the name of its corpus folder.
pub const TARGETS: &[(&str, Target)] = &[
    ("json", json),
    ("http", http),
    ("collection", collection),
    ("environment", environment),
    ("links", links),
    ("links_edit", links_edit),
    ("refs", refs),
    ("identifier", identifier),
    ("send_plan", send_plan),
    ("line_index", line_index),
    ("incremental_edits", incremental_edits),
];

/// The input as text: invalid UTF-8 sequences become U+FFFD.
fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// `range` lies within `text` and on character boundaries.
#[track_caller]
fn check_range(text: &str, range: TextRange, what: &str) {
    let (start, end) = (range.start as usize, range.end as usize);
    assert!(
        start <= end && end <= text.len(),
        "{what}: {range:?} is outside the text of {} bytes",
        text.len()
    );
    assert!(
        text.is_char_boundary(start) && text.is_char_boundary(end),
        "{what}: {range:?} splits a character"
    );
}

/// CPU time the calling thread has used (wall time where the platform has no such clock):
/// the time bound must hold however busy the machine is.
fn cpu_now() -> std::time::Duration {
    #[cfg(unix)]
    {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant.
        if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) } == 0 {
            return std::time::Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32);
        }
    }
    thread_local!(static START: std::time::Instant = std::time::Instant::now());
    START.with(|s| s.elapsed())
}

/// Runs `f` and checks it took CPU time within a bound linear in `len`: a fixed 200 ms plus
/// 20 µs a byte, generous enough for unoptimised and instrumented builds, far below what a
/// quadratic pass or a loop that stops consuming input takes.
#[track_caller]
fn linear<T>(len: usize, what: &str, f: impl FnOnce() -> T) -> T {
    let start = cpu_now();
    let out = f();
    let took = cpu_now().saturating_sub(start);
    let bound =
        std::time::Duration::from_millis(200) + std::time::Duration::from_micros(20) * len as u32;
    assert!(
        took <= bound,
        "{what} took {took:?} of CPU time on {len} bytes (bound {bound:?})"
    );
    out
}

// ---------------------------------------------------------------------------------------------
// JSON

/// The JSON parser: ranges nest and lie on boundaries, strings decode and map back, and what
/// `serde_json` accepts parses without errors to the same value.
pub fn json(data: &[u8]) {
    let src = text(data);
    let doc = linear(src.len(), "json::parse", || json::parse(&src));
    // Parsed in halves (which only a large document is), the same document.
    assert_eq!(
        json::parse_in_halves_from(&src, 0).0,
        doc,
        "parsed in halves differently"
    );
    for e in &doc.errors {
        check_range(&src, e.range, &e.message);
    }
    if let Some(root) = doc.root() {
        check_value(&src, &root, TextRange::from_usize(0, src.len()));
    }
    let strict = src.strip_prefix('\u{FEFF}').unwrap_or(&src);
    if let Ok(expected) = serde_json::from_str::<serde_json::Value>(strict) {
        assert!(
            doc.errors.is_empty(),
            "valid JSON reported as broken: {:?}",
            doc.errors
        );
        let root = doc.root().expect("valid JSON has a value");
        assert_eq!(to_serde(&src, &root), expected, "JSON read differently");
    }
}

fn check_value(src: &str, v: &Value<'_>, parent: TextRange) {
    check_range(src, v.range, "a JSON value");
    assert!(
        parent.contains_range(v.range),
        "a JSON value {:?} outside its container {parent:?}",
        v.range
    );
    let mut last = v.range.start;
    let mut next = |r: TextRange| {
        assert!(r.start >= last, "JSON children out of order at {r:?}");
        last = r.end;
    };
    match &v.kind {
        ValueKind::String(s) => check_string(src, s, v.range),
        ValueKind::Array(items) => {
            for item in items {
                next(item.range);
                check_value(src, &item, v.range);
            }
        }
        ValueKind::Object(members) => {
            for m in members {
                next(m.key.range);
                check_string(src, &m.key, v.range);
                next(m.value.range);
                check_value(src, &m.value, v.range);
            }
        }
        _ => {}
    }
}

fn check_string(src: &str, s: &JsonString, parent: TextRange) {
    check_range(src, s.range, "a JSON string");
    check_range(src, s.content, "a JSON string's content");
    assert!(
        parent.contains_range(s.range) && s.range.contains_range(s.content),
        "a JSON string's ranges do not nest: {:?} {:?} in {parent:?}",
        s.range,
        s.content
    );
    let decoded = s.value(src);
    // Every range of the decoded text maps back into the content, on boundaries.
    let bounds: Vec<usize> = decoded
        .char_indices()
        .map(|(i, _)| i)
        .chain([decoded.len()])
        .collect();
    let step = (bounds.len() / 8).max(1);
    for &a in bounds.iter().step_by(step) {
        for &b in bounds.iter().step_by(step).filter(|&&b| b >= a) {
            let r = s.source_range(src, TextRange::from_usize(a, b));
            check_range(src, r, "a decoded range mapped back");
            assert!(
                s.content.contains_range(r),
                "decoded {a}..{b} maps to {r:?}, outside the content {:?}",
                s.content
            );
        }
    }
}

/// A parsed value as `serde_json` would read it: the last of duplicate keys wins.
fn to_serde(src: &str, v: &Value<'_>) -> serde_json::Value {
    use serde_json::Value as S;
    match &v.kind {
        ValueKind::Null => S::Null,
        ValueKind::Bool(b) => S::Bool(*b),
        ValueKind::Number => {
            serde_json::from_str(v.range.slice(src)).expect("a number serde_json reads")
        }
        ValueKind::String(s) => S::String(s.value(src).into_owned()),
        ValueKind::Array(items) => S::Array(items.iter().map(|i| to_serde(src, &i)).collect()),
        ValueKind::Object(members) => {
            let mut map = serde_json::Map::new();
            for m in members {
                map.insert(m.key.value(src).into_owned(), to_serde(src, &m.value));
            }
            S::Object(map)
        }
        ValueKind::Invalid => panic!("an invalid value in JSON serde_json accepts"),
    }
}

// ---------------------------------------------------------------------------------------------
// Documents and the analysis

const LINKS: &str = r#"{
  "secrets": {
    "api-key": { "link": "https://corp-kv.vault.azure.net/secrets/api-key", "allowedDomains": ["api.example.com", "*.example.net"] },
    "db": { "link": "https://corp-kv.vault.azure.net/secrets/db/4387e9f3d6e14c459867679a90fd0f79" },
    "bad": { "link": "https://evil.example.com/secrets/x" }
  },
  "scripts": { "allowVaultAccess": true }
}"#;

const ENV: &str = r#"{
  "$shared": { "host": "api.example.com" },
  "dev": { "token": "{{vault:api-key}}", "user": "me" },
  "prod": { "kv": { "provider": "AzureKeyVault", "secretName": "db", "resourceId": "/subscriptions/x/resourceGroups/r/providers/Microsoft.KeyVault/vaults/corp-kv" } }
}"#;

/// Parses `src` as `kind`, analyses it beside a links file and an environment, and checks
/// every finding's range. Returns the parse.
fn analyse(kind: DocKind, src: &str) -> Parsed {
    let links = links::parse(LINKS);
    let env = env::parse_http_client(ENV, false);
    let envs = [EnvSource {
        text: ENV,
        file: &env,
    }];
    for env_name in [None, Some("dev")] {
        let ctx = Context {
            links: Some(&links),
            envs: &envs,
            env_name,
        };
        let findings = linear(src.len(), "parse and analysis", || {
            Parsed::parse(kind, src).analyze(src, &ctx)
        });
        for f in &findings {
            check_range(src, f.range, &f.message);
        }
    }
    Parsed::parse(kind, src)
}

/// `.http` files: the parse's ranges and the analysis.
pub fn http(data: &[u8]) {
    let src = text(data);
    let Parsed::Http(file) = analyse(DocKind::Http, &src) else {
        unreachable!("an .http parse")
    };
    for e in &file.errors {
        check_range(&src, e.range, &e.message);
    }
    for v in &file.variables {
        for r in [v.range, v.name, v.value] {
            check_range(&src, r, "a file variable");
        }
    }
    for r in &file.requests {
        let mut ranges = vec![r.range, r.request_line];
        ranges.extend(
            r.separator
                .iter()
                .chain(&r.name)
                .chain(&r.method)
                .chain(&r.version),
        );
        ranges.extend(&r.target);
        ranges.extend(&r.response_refs);
        for m in &r.metadata {
            ranges.extend([m.range, m.key, m.value]);
        }
        for h in &r.headers {
            ranges.extend([h.range, h.name]);
            ranges.extend(&h.value);
        }
        if let Some(b) = &r.body {
            ranges.push(b.range);
            ranges.extend(&b.input_files);
        }
        for h in &r.handlers {
            ranges.extend([h.range, h.content]);
        }
        for range in ranges {
            check_range(&src, range, "a request part");
        }
    }
}

/// Postman collections: detection, the parse and the analysis.
pub fn collection(data: &[u8]) {
    let src = text(data);
    let _ = DocKind::detect("api.json", &src);
    let Parsed::Collection(coll) = analyse(DocKind::Collection, &src) else {
        unreachable!("a collection parse")
    };
    for s in coll.texts() {
        check_range(&src, s.range, "a collection string");
    }
    for (_, line) in coll.script_lines() {
        check_range(&src, line.range, "a script line");
    }
    let _ = coll.requests();
}

/// Environment files of every kind: the parse and the analysis.
pub fn environment(data: &[u8]) {
    let src = text(data);
    for kind in [
        DocKind::HttpClientEnv { private: false },
        DocKind::HttpClientEnv { private: true },
        DocKind::PostmanEnv,
    ] {
        let Parsed::Env(file) = analyse(kind, &src) else {
            unreachable!("an environment parse")
        };
        for e in &file.errors {
            check_range(&src, e.range, &e.message);
        }
        for env in &file.environments {
            for v in &env.variables {
                check_range(&src, v.range, "an environment variable");
            }
        }
    }
}

/// `vaultlink.json`: the parse and its problems.
pub fn links(data: &[u8]) {
    let src = text(data);
    let Parsed::Links(file) = analyse(DocKind::Links, &src) else {
        unreachable!("a links parse")
    };
    for p in &file.problems {
        check_range(&src, p.range, &p.message);
    }
    for s in &file.secrets {
        assert_eq!(
            file.get(&s.name).map(|l| &l.name),
            Some(&s.name),
            "a secret that cannot be looked up"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Link and unlink edits

/// Link and unlink edits on any `vaultlink.json`: the result is valid JSON whenever the
/// original was, holds exactly the change asked for, and keeps every other byte.
pub fn links_edit(data: &[u8]) {
    let src = text(data);
    let parsed = links::parse(&src);
    let mut names: Vec<String> = parsed.secrets.iter().map(|s| s.name.clone()).collect();
    names.extend(["new-key".to_owned(), "qu\"ote\\é😀".to_owned()]);
    let identifier = "https://corp-kv.vault.azure.net/secrets/new-key";
    for name in &names {
        for domains in [vec![], vec!["api.example.com".to_owned()]] {
            let edits = linear(src.len(), "set_link_edits", || {
                links::set_link_edits(&src, name, identifier, &domains)
            });
            if let Ok(edits) = edits {
                let new = links::apply_edits(&src, &edits);
                check_edit(&src, &new, name, Some((identifier, &domains)));
            }
        }
        match linear(src.len(), "remove_link_edits", || {
            links::remove_link_edits(&src, name)
        }) {
            Ok(edits) => {
                let new = links::apply_edits(&src, &edits);
                check_edit(&src, &new, name, None);
            }
            Err(EditError::NotFound(_)) => assert!(
                parsed.get(name).is_none() || !json::parse(&src).errors.is_empty(),
                "`{name}` is linked but unlink did not find it"
            ),
            Err(EditError::Malformed(_)) => {}
        }
    }
}

/// `new` is `old` with `secrets[name]` set to `link` (or removed when `None`).
fn check_edit(old: &str, new: &str, name: &str, link: Option<(&str, &[String])>) {
    let new_doc = json::parse(new);
    assert!(
        new_doc.errors.is_empty(),
        "the edit left broken JSON: {:?}\n{new}",
        new_doc.errors
    );
    let new_links = links::parse(new);
    match link {
        Some((identifier, domains)) => {
            let l = new_links
                .get(name)
                .unwrap_or_else(|| panic!("`{name}` is not linked after link\n{new}"));
            assert_eq!(l.link_text, identifier, "the link written");
            let written: Vec<&str> = l.allowed_domains.iter().map(|d| &*d.pattern).collect();
            if !domains.is_empty() {
                assert_eq!(written, domains, "the allowed domains written");
            }
        }
        None => assert!(
            new_links.get(name).is_none(),
            "`{name}` is still linked after unlink\n{new}"
        ),
    }
    // Everything outside the `secrets` object, and every other entry in it, is unchanged.
    let old_doc = json::parse(old);
    let Some(old_root) = old_doc.root() else {
        return;
    };
    let new_root = new_doc.root().expect("a value after the edit");
    let Some(old_secrets) = old_root.member(old, "secrets") else {
        return;
    };
    let old_value = old_secrets.value.range.as_usize();
    let new_secrets = new_root
        .get(new, "secrets")
        .expect("`secrets` is still there");
    let new_value = new_secrets.range.as_usize();
    assert_eq!(
        &old[..old_value.start],
        &new[..new_value.start],
        "text before `secrets` changed"
    );
    assert_eq!(
        &old[old_value.end..],
        &new[new_value.end..],
        "text after `secrets` changed"
    );
    let others = |src: &str, v: &Value<'_>| -> Vec<String> {
        v.as_object()
            .unwrap_or_default()
            .iter()
            .filter(|m| !m.key.eq_str(src, name))
            .map(|m| src[m.key.range.start as usize..m.value.range.end as usize].to_owned())
            .collect()
    };
    assert_eq!(
        others(old, &old_secrets.value),
        others(new, &new_secrets),
        "other entries of `secrets` changed"
    );
    // What a JSON reader sees changed only at `secrets[name]`.
    let strict =
        |s: &str| serde_json::from_str::<serde_json::Value>(s.trim_start_matches('\u{FEFF}'));
    if let Ok(mut before) = strict(old) {
        let mut after = strict(new).unwrap_or_else(|e| panic!("serde_json: {e}\n{new}"));
        for v in [&mut before, &mut after] {
            if let Some(s) = v.get_mut("secrets").and_then(|s| s.as_object_mut()) {
                s.shift_remove(name);
            }
        }
        assert_eq!(before, after, "the edit changed more than `{name}`");
    }
}

// ---------------------------------------------------------------------------------------------
// References and identifiers

/// The reference scanner and rewriting over any text.
pub fn refs(data: &[u8]) {
    let src = text(data);
    let base = 7u32;
    let mut found = Vec::new();
    linear(src.len(), "refs::scan", || {
        refs::scan(&src, base, &mut found)
    });
    let shifted = |r: TextRange| TextRange::new(r.start - base, r.end - base);
    for r in &found {
        assert!(r.range.start >= base, "a reference before the base offset");
        let range = shifted(r.range);
        check_range(&src, range, "a reference");
        assert!(
            range.slice(&src).starts_with("{{"),
            "a reference that does not start with `{{{{`"
        );
        let inner = match r.kind {
            refs::RefKind::Vault { name } => {
                let name = shifted(name);
                check_range(&src, name, "a vault name");
                assert!(
                    refs::is_valid_name(name.slice(&src)),
                    "an invalid name reported as valid: {:?}",
                    name.slice(&src)
                );
                Some(name)
            }
            refs::RefKind::DynamicVault { name }
            | refs::RefKind::Variable { name }
            | refs::RefKind::Dynamic { name } => Some(shifted(name)),
            _ => None,
        };
        if let Some(inner) = inner {
            check_range(&src, inner, "a reference name");
            assert!(range.contains_range(inner), "a name outside its reference");
        }
    }
    let mut calls = Vec::new();
    linear(src.len(), "refs::scan_script", || {
        refs::scan_script(&src, base, &mut calls)
    });
    for c in &calls {
        check_range(&src, shifted(c.range), "a script call");
        check_range(&src, shifted(c.name), "a script call's name");
        assert!(c.range.contains_range(c.name), "a name outside its call");
    }
    // Rewriting every reference, or only variables, never splits the text.
    let all = refs::rewrite(&src, |_| Some("X".to_owned()));
    let vars = refs::substitute(&src, |n| (n.len() % 2 == 0).then(|| format!("{{{{{n}}}}}")));
    let _ = (all, vars);
}

/// Secret identifiers and reference names: parsing never panics, and what parses round-trips
/// and keeps the contract's rules.
pub fn identifier(data: &[u8]) {
    let src = text(data);
    assert_eq!(
        refs::name_problem(&src).is_none(),
        refs::is_valid_name(&src),
        "name_problem and is_valid_name disagree on {src:?}"
    );
    let _ = links::domain_problem(&src);
    if let Ok(id) = linear(src.len(), "SecretId::parse", || SecretId::parse(&src)) {
        assert!(
            identifier::is_valid_vault_name(&id.vault),
            "vault {:?}",
            id.vault
        );
        assert!(
            identifier::is_valid_secret_name(&id.name),
            "name {:?}",
            id.name
        );
        assert!(
            identifier::is_key_vault_host(&id.host()),
            "host {:?}",
            id.host()
        );
        if let Some(v) = &id.version {
            assert!(
                v.len() == 32 && v.bytes().all(|b| b.is_ascii_hexdigit()),
                "version {v:?}"
            );
        }
        let again = SecretId::parse(&id.url()).expect("an identifier's URL parses");
        assert_eq!(again, id, "the URL does not round-trip");
    }
}

// ---------------------------------------------------------------------------------------------
// The send plan

struct FixedDynamics;

impl Dynamics for FixedDynamics {
    fn value(&self, name: &str, args: &str) -> Result<String, String> {
        match name {
            "uuid" | "timestamp" => Ok(format!("{name}-{}", args.len())),
            _ => Err(format!("unknown dynamic variable `{name}`")),
        }
    }
}

/// The send plan of every request of an `.http` file or a collection (the first byte picks
/// which), beside links and an environment: never a panic, and every secret it lists is a
/// valid name.
pub fn send_plan(data: &[u8]) {
    let (kind, rest) = match data.split_first() {
        Some((b, rest)) if b % 2 == 1 => (DocKind::Collection, rest),
        Some((_, rest)) => (DocKind::Http, rest),
        None => (DocKind::Http, data),
    };
    let src = text(rest);
    let parsed = Parsed::parse(kind, &src);
    let links_file = links::parse(LINKS);
    let env = env::parse_http_client(ENV, false);
    let envs = [EnvFileSource {
        path: Path::new("http-client.env.json"),
        text: ENV,
        file: &env,
    }];
    let world = World {
        links: Some(LinksSource {
            path: Path::new("vaultlink.json"),
            text: LINKS,
            file: &links_file,
        }),
        envs: &envs,
        env_name: Some("dev"),
        ..World::default()
    };
    let mut responses = HashMap::new();
    responses.insert(
        "login".to_owned(),
        EarlierResponse {
            headers: vec![("x-token".to_owned(), "t".to_owned())],
            body: r#"{"token": "abc", "items": [1, 2]}"#.to_owned(),
            secrets: vec!["api-key".to_owned()],
        },
    );
    let read_file = |p: &Path| -> std::io::Result<Vec<u8>> {
        if p.ends_with("payload.json") {
            Ok(b"{\"a\": \"{{vault:api-key}}\"}".to_vec())
        } else {
            Err(std::io::ErrorKind::NotFound.into())
        }
    };
    let count = match &parsed {
        Parsed::Http(f) => f.requests.len(),
        Parsed::Collection(c) => c.requests().len(),
        _ => 0,
    };
    let inputs = Inputs {
        doc: Doc {
            path: Some(Path::new("api/requests.http")),
            text: &src,
            kind,
            parsed: &parsed,
        },
        world,
        dynamics: &FixedDynamics,
        responses: &responses,
        runtime_names: &[],
        read_file: &read_file,
    };
    linear(src.len(), "planning every request", || {
        for index in 0..count {
            if let Ok(p) = crate::send::plan_request(&inputs, index) {
                for s in &p.secrets {
                    assert!(refs::is_valid_name(s), "a plan lists secret {s:?}");
                }
                // Where the request may go is decided without panicking, whatever its URL.
                let _ = crate::send::check_secrets(&p, Some(&links_file));
            }
        }
    });
    let _ = plan::basic_value(&src);
}

// ---------------------------------------------------------------------------------------------
// Positions and incremental edits

/// The line index: every offset round-trips through (line, column) in every encoding, and any
/// position maps to a character boundary.
pub fn line_index(data: &[u8]) {
    let src = text(data);
    let index = linear(src.len(), "LineIndex::new", || LineIndex::new(&src));
    // Lines start after `\n`, after `\r\n` and after a lone `\r`.
    let bytes = src.as_bytes();
    let mut starts = vec![0];
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
            starts.push(i + 1);
        }
    }
    let offsets: Vec<usize> = src
        .char_indices()
        .map(|(i, _)| i)
        .chain([src.len()])
        .collect();
    // Every offset of a short text, an even sample of a long one: columns cost a line's length.
    let step = (offsets.len() / 512).max(1);
    for &offset in offsets.iter().step_by(step) {
        let o = offset as u32;
        let line = starts.partition_point(|&s| s <= offset) - 1;
        assert_eq!(index.line_of(o) as usize, line, "line of offset {o}");
        // The `\n` of a `\r\n` pair is not a position of its own: it maps to the `\r`.
        let inside_crlf =
            offset > 0 && bytes.get(offset) == Some(&b'\n') && bytes[offset - 1] == b'\r';
        for enc in [Encoding::Utf8, Encoding::Utf16, Encoding::Chars] {
            let lc = index.line_col(&src, o, enc);
            assert_eq!(lc.line as usize, line, "line of offset {o} in {enc:?}");
            let back = index.offset(&src, lc, enc);
            let expected = if inside_crlf { o - 1 } else { o };
            assert_eq!(back, expected, "offset {o} → {lc:?} ({enc:?}) → {back}");
        }
    }
    // Arbitrary positions, taken from the input's bytes, land on boundaries within the text.
    for pair in data.chunks(2).take(256) {
        let pos = LineCol {
            line: u32::from(pair[0] % 16),
            col: u32::from(*pair.get(1).unwrap_or(&0)),
        };
        for enc in [Encoding::Utf8, Encoding::Utf16, Encoding::Chars] {
            let o = index.offset(&src, pos, enc) as usize;
            assert!(
                o <= src.len() && src.is_char_boundary(o),
                "{pos:?} ({enc:?}) gives {o}, not a boundary"
            );
        }
        let r = index.line_range(&src, pos.line);
        check_range(&src, r, "a line range");
        assert!(
            !r.slice(&src).contains(['\n', '\r']),
            "a line range holds a line break"
        );
    }
}

/// Incremental edits, as an editor sends them (positions in any encoding, splitting surrogate
/// pairs and `\r\n`, past the ends), give the same text with or without a cached line index
/// and the same as a reference that converts positions from scratch; the parse of the result
/// is the parse of that text.
///
/// Input: the initial text up to the first NUL byte, then edits of five bytes (start line,
/// start column, end line, end column, new-text length) each followed by the new text.
pub fn incremental_edits(data: &[u8]) {
    let (initial, mut rest) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let initial = text(initial);
    let enc = match initial.len() % 3 {
        0 => Encoding::Utf16,
        1 => Encoding::Utf8,
        _ => Encoding::Chars,
    };
    let mut changes = Vec::new();
    while let [sl, sc, el, ec, n, tail @ ..] = rest {
        let n = usize::from(*n % 16).min(tail.len());
        let (new, after) = tail.split_at(n);
        let lc = |l: u8, c: u8| LineCol {
            line: u32::from(l % 8),
            col: u32::from(c % 64),
        };
        changes.push(Change {
            range: (*sl != 0xFF).then(|| (lc(*sl, *sc), lc(*el, *ec))),
            text: text(new),
        });
        rest = after;
    }
    let mut cached = initial.clone();
    let index = LineIndex::new(&initial);
    linear(data.len(), "apply_changes", || {
        apply_changes(&mut cached, changes.clone(), enc, Some(&index))
    });
    let mut fresh = initial.clone();
    let splice = apply_changes(&mut fresh, changes.clone(), enc, None);
    assert_eq!(cached, fresh, "a cached line index changed the result");
    // The splice covers every change, and the incremental parse and line index made from
    // it are those of the new text.
    if let Some(splice) = splice {
        assert_eq!(initial[..splice.start], fresh[..splice.start], "{splice:?}");
        assert_eq!(
            initial[splice.old_end..],
            fresh[splice.new_end..],
            "{splice:?}"
        );
        assert_eq!(index.edited(&fresh, splice), LineIndex::new(&fresh));
        for kind in [DocKind::Http, DocKind::Collection] {
            let old = Parsed::parse(kind, &initial);
            let (parsed, _) =
                crate::vault::incremental::reparse(kind, old, &initial, &fresh, splice);
            assert_eq!(
                format!("{parsed:?}"),
                format!("{:?}", Parsed::parse(kind, &fresh)),
                "the incremental parse of a {kind:?} differs"
            );
        }
    }
    let mut reference = initial;
    for c in &changes {
        match c.range {
            None => reference = c.text.clone(),
            Some((start, end)) => {
                let s = reference_offset(&reference, start, enc);
                let e = reference_offset(&reference, end, enc).max(s);
                reference.replace_range(s..e, &c.text);
            }
        }
    }
    assert_eq!(fresh, reference, "edits applied differently");
    // Compared through `Debug`, without the links file's hash map (its order varies).
    let shown = |parsed: Parsed| match parsed {
        Parsed::Links(l) => format!("{:?} {:?} {:?}", l.secrets, l.problems, l.azure),
        other => format!("{other:?}"),
    };
    for kind in [DocKind::Http, DocKind::Collection, DocKind::Links] {
        let a = shown(Parsed::parse(kind, &fresh));
        let b = shown(Parsed::parse(kind, &reference));
        assert_eq!(a, b, "the parse after edits differs");
    }
}

/// The byte offset of `pos` by walking the text from its start: lines end at `\n`, `\r\n` or
/// a lone `\r`; a column past the line's end is its end; a line past the last is the end; a
/// column inside a character is its start.
fn reference_offset(text: &str, pos: LineCol, enc: Encoding) -> usize {
    let mut line = 0;
    let mut chars = text.char_indices().peekable();
    while line < pos.line {
        match chars.next() {
            None => return text.len(),
            Some((_, '\n')) => line += 1,
            Some((_, '\r')) => {
                if chars.peek().map(|&(_, c)| c) == Some('\n') {
                    chars.next();
                }
                line += 1;
            }
            Some(_) => {}
        }
    }
    let mut col = 0;
    for (i, ch) in chars {
        if ch == '\n' || ch == '\r' {
            return i;
        }
        let w = match enc {
            Encoding::Utf8 => ch.len_utf8() as u32,
            Encoding::Utf16 => ch.len_utf16() as u32,
            Encoding::Chars => 1,
        };
        if col + w > pos.col {
            return i;
        }
        col += w;
    }
    text.len()
}
