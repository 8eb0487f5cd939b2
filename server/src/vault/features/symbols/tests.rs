//! Document symbols of every kind of file.

use std::fmt::Write as _;
use std::time::Instant;

use expect_test::{Expect, expect};

use super::*;
use crate::vault::features::tests::{ENVS, Fixture, LINKS, show};

/// One line per symbol, children indented: kind, name, detail, selection and range ends.
fn check(fixture: &str, expect: Expect) {
    let f = Fixture::parse(fixture);
    let symbols = f.with(|doc, _| symbols(doc));
    let mut out = String::new();
    render(f.text(), &symbols, 0, &mut out);
    expect.assert_eq(&out);
}

fn render(text: &str, symbols: &[Symbol], depth: usize, out: &mut String) {
    for s in symbols {
        assert!(
            s.range.contains_range(s.selection),
            "{:?}: the selection is outside the range",
            s.name
        );
        let _ = writeln!(
            out,
            "{}{:?} {:?}{} selection {} range {:?}",
            "  ".repeat(depth),
            s.kind,
            s.name,
            s.detail
                .as_ref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default(),
            show(text, s.selection),
            s.range
        );
        render(text, &s.children, depth + 1, out);
    }
}

#[test]
fn http_requests() {
    check(
        &format!(
            "//- /a.http\n@host = x\n### named by separator\nGET https://x.test/a\n\n###\n# @name login\nPOST https://x.test/login HTTP/1.1\n\n###\nhttps://é中😀.test/{}\n\n###\nDELETE\n    https://x.test\n    ?a=1\n",
            "p".repeat(80)
        ),
        expect![[r#"
            Request "named by separator" (GET https://x.test/a) selection 14..32 "named by separator" range 10..53
            Request "login" (POST https://x.test/login) selection 67..72 "login" range 55..107
            Request "https://é中😀.test/ppppppppppppppppppppppppppppppppppppppppppp…" selection 113..216 "https://é中😀.test/pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp" range 109..216
            Request "DELETE https://x.test?a=1" selection 222..256 "DELETE\n    https://x.test\n    ?a=1" range 218..256
        "#]],
    );
}

#[test]
fn collections() {
    check(
        r#"//- /api.postman_collection.json
{"info": {"name": "x", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
 "item": [
  {"name": "Users \u00e9\"", "item": [
     {"name": "list", "request": {"method": "GET", "url": "https://x.test/users"}},
     {"name": "", "request": {"method": "POST", "url": {"raw": "https://x.test/users"}}},
     {"name": "Empty", "item": []}
  ]},
  {"request": "https://x.test/bare"}
 ]}
"#,
        expect![[r#"
            Folder "Users é\"" selection 129..143 "Users \\u00e9\\\"" range 119..369
              Request "list" (GET https://x.test/users) selection 171..175 "list" range 161..238
              Request "(unnamed)" (POST https://x.test/users) selection 255..255 "" range 245..328
              Folder "Empty" selection 345..350 "Empty" range 335..364
            Request "(unnamed)" (GET https://x.test/bare) selection 373..407 "{\"request\": \"https://x.test/bare\"}" range 373..407
        "#]],
    );
}

#[test]
fn environments_never_show_values() {
    check(
        ENVS,
        expect![[r#"
            Environment "$shared" selection 5..12 "$shared" range 4..34
              Variable "version" selection 18..25 "version" range 17..32
            Environment "dev" selection 39..42 "dev" range 38..137
              Variable "host" selection 48..52 "host" range 47..81
              Variable "token" selection 84..89 "token" range 83..121
              Variable "port" selection 124..128 "port" range 123..135
            Environment "prod" selection 142..146 "prod" range 141..185
              Variable "host" selection 152..156 "host" range 151..183
        "#]],
    );
    check(
        r#"//- /dev.postman_environment.json
{"name": "Dev", "values": [{"key": "token", "value": "s3cr3t", "type": "secret", "enabled": true}]}
"#,
        expect![[r#"
            Environment "Dev" selection 10..13 "Dev" range 0..99
              Variable "token" selection 36..41 "token" range 27..97
        "#]],
    );
}

#[test]
fn links() {
    check(
        LINKS,
        expect![[r#"
        Secret "stripe-key" (https://corp-kv.vault.azure.net/secrets/stripe-key) selection 22..32 "stripe-key" range 21..153
        Secret "db-password" (https://corp-kv.vault.azure.net/secrets/db-password/4387e9f3d6e14c459867679a90fd0f79) selection 160..171 "db-password" range 159..272
        Secret "broken" (https://corp-kv.vault.azure.net/keys/broken) selection 279..285 "broken" range 278..345
        Secret "evil" (https://evil.example.com/secrets/x) selection 352..356 "evil" range 351..407
    "#]],
    );
}

/// A 5 MB file of 23,000 requests, as the benchmark's: symbols in well under the 100 ms the
/// server has (a generous bound, for debug builds on a busy machine).
#[test]
fn large_files_are_fast() {
    let mut text = String::from("@baseUrl = https://api.example.test\n\n");
    let mut i = 0;
    while text.len() < 5 << 20 {
        let _ = write!(
            text,
            "### request {i}\n# @name req{i}\nPOST {{{{baseUrl}}}}/api/items/{i}?expand=true\nAccept: application/json\nAuthorization: Bearer {{{{vault:api-token-{}}}}}\n\n{{\"id\": {i}, \"name\": \"item {i} é✓\"}}\n\n",
            i % 50
        );
        i += 1;
    }
    let f = Fixture::parse(&format!("//- /big.http\n{text}"));
    f.with(|doc, _| {
        let start = Instant::now();
        let symbols = symbols(doc);
        let elapsed = start.elapsed();
        assert_eq!(symbols.len(), i);
        assert_eq!(symbols[7].name, "req7");
        assert!(elapsed.as_millis() < 2000, "{elapsed:?}");
    });
}
