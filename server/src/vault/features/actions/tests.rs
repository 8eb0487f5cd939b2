//! Code actions: link, add a link, unlink, move a literal credential to the vault.

use std::fmt::Write as _;

use expect_test::{Expect, expect};

use super::*;
use crate::vault::features::tests::{Fixture, LINKS, apply, awkward_offsets, show_file_range};

/// Each action with its kind, what it fixes, its edits (as ranges and text) and the files
/// they produce, and where it shows the user afterwards.
fn check(fixture: &str, expect: Expect) {
    let f = Fixture::parse(fixture);
    let range = f.selection.expect("the fixture needs a `$0`");
    let actions = f.with(|doc, world| code_actions(doc, range, world));
    let mut out = String::new();
    for a in &actions {
        let _ = writeln!(
            out,
            "{} ({:?}{}{})",
            a.title,
            a.kind,
            a.fixes.map(|c| format!(", fixes {c}")).unwrap_or_default(),
            if a.preferred { ", preferred" } else { "" }
        );
        for e in &a.edits {
            let create = if e.create { " (create)" } else { "" };
            let _ = writeln!(out, "  edit {}{create}", e.path.display());
            for t in &e.edits {
                let _ = writeln!(out, "    {:?} => {:?}", t.range, t.new_text);
            }
        }
        let edited = apply(&f, &a.edits);
        for (path, text) in &edited {
            if path.file_name().is_some_and(|n| n == "vaultlink.json") {
                let _ = writeln!(out, "  {} after:\n{}", path.display(), indent(text));
            } else {
                let _ = writeln!(out, "  {} after: {:?}", path.display(), text);
            }
        }
        if let Some(show) = &a.show {
            let _ = writeln!(out, "  show {}", show_file_range(&f, &edited, show));
        }
    }
    expect.assert_eq(&out);
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    | {l}\n")).collect()
}

#[test]
fn unlinked_reference_gets_one_fix_per_vault_and_add_a_link() {
    let links = r#"//- /vaultlink.json
{
  "secrets": {
    "a": { "link": "https://corp-kv.vault.azure.net/secrets/a" },
    "b": { "link": "https://other-kv.vault.azure.cn/secrets/b" },
    "c": { "link": "https://corp-kv.vault.azure.net/secrets/c" }
  }
}
"#;
    check(
        &[
            links,
            "//- /a.http\nGET https://x.test\nA: {{vault:$0api_key.v2}}\n",
        ]
        .concat(),
        expect![[r#"
            Link `api_key.v2` to https://corp-kv.vault.azure.net/secrets/api-key-v2 (QuickFix, fixes unlinked-secret, preferred)
              edit /vaultlink.json
                213..213 => ",\n    \"api_key.v2\": { \"link\": \"https://corp-kv.vault.azure.net/secrets/api-key-v2\" }"
              /vaultlink.json after:
                | {
                |   "secrets": {
                |     "a": { "link": "https://corp-kv.vault.azure.net/secrets/a" },
                |     "b": { "link": "https://other-kv.vault.azure.cn/secrets/b" },
                |     "c": { "link": "https://corp-kv.vault.azure.net/secrets/c" },
                |     "api_key.v2": { "link": "https://corp-kv.vault.azure.net/secrets/api-key-v2" }
                |   }
                | }

            Link `api_key.v2` to https://other-kv.vault.azure.cn/secrets/api-key-v2 (QuickFix, fixes unlinked-secret)
              edit /vaultlink.json
                213..213 => ",\n    \"api_key.v2\": { \"link\": \"https://other-kv.vault.azure.cn/secrets/api-key-v2\" }"
              /vaultlink.json after:
                | {
                |   "secrets": {
                |     "a": { "link": "https://corp-kv.vault.azure.net/secrets/a" },
                |     "b": { "link": "https://other-kv.vault.azure.cn/secrets/b" },
                |     "c": { "link": "https://corp-kv.vault.azure.net/secrets/c" },
                |     "api_key.v2": { "link": "https://other-kv.vault.azure.cn/secrets/api-key-v2" }
                |   }
                | }

            Add a link for `api_key.v2` to vaultlink.json (QuickFix, fixes unlinked-secret)
              edit /vaultlink.json
                213..213 => ",\n    \"api_key.v2\": { \"link\": \"https://corp-kv.vault.azure.net/secrets/api-key-v2\" }"
              /vaultlink.json after:
                | {
                |   "secrets": {
                |     "a": { "link": "https://corp-kv.vault.azure.net/secrets/a" },
                |     "b": { "link": "https://other-kv.vault.azure.cn/secrets/b" },
                |     "c": { "link": "https://corp-kv.vault.azure.net/secrets/c" },
                |     "api_key.v2": { "link": "https://corp-kv.vault.azure.net/secrets/api-key-v2" }
                |   }
                | }

              show /vaultlink.json 244..294 "https://corp-kv.vault.azure.net/secrets/api-key-v2"
        "#]],
    );
}

#[test]
fn without_a_links_file_add_a_link_creates_it() {
    check(
        "//- /a.http\nGET https://x.test\nA: {{vault:中$0}}\n",
        expect![[r#"
            Add a link for `中` to vaultlink.json (QuickFix, fixes unlinked-secret)
              edit /vaultlink.json (create)
                0..0 => "{\n  \"secrets\": {\n    \"中\": {\n      \"link\": \"https://my-vault.vault.azure.net/secrets/secret\"\n    }\n  }\n}\n"
              /vaultlink.json after:
                | {
                |   "secrets": {
                |     "中": {
                |       "link": "https://my-vault.vault.azure.net/secrets/secret"
                |     }
                |   }
                | }

              show /vaultlink.json 45..92 "https://my-vault.vault.azure.net/secrets/secret"
        "#]],
    );
    // Nowhere to create it: nothing.
    check(
        "//- @nocreate\n//- /a.http\nGET https://x.test\nA: {{vault:k$0}}\n",
        expect![[""]],
    );
}

#[test]
fn linked_and_broken_references() {
    check(
        &[
            LINKS,
            "//- /a.http\nGET https://x.test\nA: {{vault:stripe-key}}$0\n",
        ]
        .concat(),
        expect![[r#"
            Unlink `stripe-key` (QuickFix)
              edit /vaultlink.json
                17..155 => ""
              /vaultlink.json after:
                | {
                |   "secrets": {
                |     "db-password": { "link": "https://corp-kv.vault.azure.net/secrets/db-password/4387e9f3d6e14c459867679a90fd0f79" },
                |     "broken": { "link": "https://corp-kv.vault.azure.net/keys/broken" },
                |     "evil": { "link": "https://evil.example.com/secrets/x" }
                |   }
                | }

        "#]],
    );
    check(
        &[
            LINKS,
            "//- /a.http\nGET https://x.test\nA: $0{{vault:evil}}\n",
        ]
        .concat(),
        expect![[r#"
            Link `evil` to https://corp-kv.vault.azure.net/secrets/evil (QuickFix, fixes untrusted-host, preferred)
              edit /vaultlink.json
                369..405 => "\"https://corp-kv.vault.azure.net/secrets/evil\""
              /vaultlink.json after:
                | {
                |   "secrets": {
                |     "stripe-key": { "link": "https://corp-kv.vault.azure.net/secrets/stripe-key", "allowedDomains": ["api.stripe.com", "*.stripe.com"] },
                |     "db-password": { "link": "https://corp-kv.vault.azure.net/secrets/db-password/4387e9f3d6e14c459867679a90fd0f79" },
                |     "broken": { "link": "https://corp-kv.vault.azure.net/keys/broken" },
                |     "evil": { "link": "https://corp-kv.vault.azure.net/secrets/evil" }
                |   }
                | }

            Unlink `evil` (QuickFix)
              edit /vaultlink.json
                347..408 => ""
                345..346 => ""
              /vaultlink.json after:
                | {
                |   "secrets": {
                |     "stripe-key": { "link": "https://corp-kv.vault.azure.net/secrets/stripe-key", "allowedDomains": ["api.stripe.com", "*.stripe.com"] },
                |     "db-password": { "link": "https://corp-kv.vault.azure.net/secrets/db-password/4387e9f3d6e14c459867679a90fd0f79" },
                |     "broken": { "link": "https://corp-kv.vault.azure.net/keys/broken" }
                |   }
                | }

        "#]],
    );
}

#[test]
fn selection_over_several_references() {
    check(
        &[LINKS, "//- /a.http\nGET https://x.test\nA: {{vault:$0stripe-key}} {{vault:db-pass$0word}} {{vault:other}}\n"].concat(),
        expect![[r#"
            Unlink `stripe-key` (QuickFix)
              edit /vaultlink.json
                17..155 => ""
              /vaultlink.json after:
                | {
                |   "secrets": {
                |     "db-password": { "link": "https://corp-kv.vault.azure.net/secrets/db-password/4387e9f3d6e14c459867679a90fd0f79" },
                |     "broken": { "link": "https://corp-kv.vault.azure.net/keys/broken" },
                |     "evil": { "link": "https://evil.example.com/secrets/x" }
                |   }
                | }

            Unlink `db-password` (QuickFix)
              edit /vaultlink.json
                155..274 => ""
              /vaultlink.json after:
                | {
                |   "secrets": {
                |     "stripe-key": { "link": "https://corp-kv.vault.azure.net/secrets/stripe-key", "allowedDomains": ["api.stripe.com", "*.stripe.com"] },
                |     "broken": { "link": "https://corp-kv.vault.azure.net/keys/broken" },
                |     "evil": { "link": "https://evil.example.com/secrets/x" }
                |   }
                | }

        "#]],
    );
}

#[test]
fn script_names_and_collection_escapes() {
    check(
        &[
            LINKS,
            r#"//- /api.postman_collection.json
{"info": {"name": "x", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
 "item": [{"name": "r", "request": {"url": "https://x.test", "header": [{"key": "A", "value": "\u00e9\"{{vault:new-one}}"}]},
   "event": [{"listen": "test", "script": {"exec": ["pm.vault.get(\"new-one$0\")"]}}]}]}
"#,
        ]
        .concat(),
        expect![[r#"
            Link `new-one` to https://corp-kv.vault.azure.net/secrets/new-one (QuickFix, fixes unlinked-secret, preferred)
              edit /vaultlink.json
                407..407 => ",\n    \"new-one\": { \"link\": \"https://corp-kv.vault.azure.net/secrets/new-one\" }"
              /vaultlink.json after:
                | {
                |   "secrets": {
                |     "stripe-key": { "link": "https://corp-kv.vault.azure.net/secrets/stripe-key", "allowedDomains": ["api.stripe.com", "*.stripe.com"] },
                |     "db-password": { "link": "https://corp-kv.vault.azure.net/secrets/db-password/4387e9f3d6e14c459867679a90fd0f79" },
                |     "broken": { "link": "https://corp-kv.vault.azure.net/keys/broken" },
                |     "evil": { "link": "https://evil.example.com/secrets/x" },
                |     "new-one": { "link": "https://corp-kv.vault.azure.net/secrets/new-one" }
                |   }
                | }

            Add a link for `new-one` to vaultlink.json (QuickFix, fixes unlinked-secret)
              edit /vaultlink.json
                407..407 => ",\n    \"new-one\": { \"link\": \"https://corp-kv.vault.azure.net/secrets/new-one\" }"
              /vaultlink.json after:
                | {
                |   "secrets": {
                |     "stripe-key": { "link": "https://corp-kv.vault.azure.net/secrets/stripe-key", "allowedDomains": ["api.stripe.com", "*.stripe.com"] },
                |     "db-password": { "link": "https://corp-kv.vault.azure.net/secrets/db-password/4387e9f3d6e14c459867679a90fd0f79" },
                |     "broken": { "link": "https://corp-kv.vault.azure.net/keys/broken" },
                |     "evil": { "link": "https://evil.example.com/secrets/x" },
                |     "new-one": { "link": "https://corp-kv.vault.azure.net/secrets/new-one" }
                |   }
                | }

              show /vaultlink.json 435..482 "https://corp-kv.vault.azure.net/secrets/new-one"
        "#]],
    );
}

#[test]
fn unlink_from_the_links_file_itself() {
    check(
        &LINKS.replace("\"db-password\":", "\"db-pass$0word\":"),
        expect![[r#"
        Unlink `db-password` (QuickFix)
          edit /vaultlink.json
            155..274 => ""
          /vaultlink.json after:
            | {
            |   "secrets": {
            |     "stripe-key": { "link": "https://corp-kv.vault.azure.net/secrets/stripe-key", "allowedDomains": ["api.stripe.com", "*.stripe.com"] },
            |     "broken": { "link": "https://corp-kv.vault.azure.net/keys/broken" },
            |     "evil": { "link": "https://evil.example.com/secrets/x" }
            |   }
            | }

    "#]],
    );
}

#[test]
fn a_malformed_links_file_is_not_edited() {
    check(
        "//- /vaultlink.json\n{\"secrets\": {\"a\": \n//- /a.http\nGET https://x.test\nA: {{vault:k$0}}\n",
        expect![[""]],
    );
}

#[test]
fn move_literal_credentials_in_http_files() {
    check(
        &[LINKS, "//- /a.http\n@host = api.stripe.com\nGET https://{{host}}/v1/charges\nAuthorization: Bearer $0sk_live_é123\n"].concat(),
        expect![[r##"
            Move to vault as `{{vault:stripe-token}}` (QuickFix, fixes plaintext-secret, preferred)
              edit /a.http
                77..90 => "{{vault:stripe-token}}"
              edit /vaultlink.json
                407..407 => ",\n    \"stripe-token\": { \"link\": \"https://corp-kv.vault.azure.net/secrets/stripe-token\", \"allowedDomains\": [\"api.stripe.com\"] }"
              /a.http after: "@host = api.stripe.com\nGET https://{{host}}/v1/charges\nAuthorization: Bearer {{vault:stripe-token}}\n"
              /vaultlink.json after:
                | {
                |   "secrets": {
                |     "stripe-key": { "link": "https://corp-kv.vault.azure.net/secrets/stripe-key", "allowedDomains": ["api.stripe.com", "*.stripe.com"] },
                |     "db-password": { "link": "https://corp-kv.vault.azure.net/secrets/db-password/4387e9f3d6e14c459867679a90fd0f79" },
                |     "broken": { "link": "https://corp-kv.vault.azure.net/keys/broken" },
                |     "evil": { "link": "https://evil.example.com/secrets/x" },
                |     "stripe-token": { "link": "https://corp-kv.vault.azure.net/secrets/stripe-token", "allowedDomains": ["api.stripe.com"] }
                |   }
                | }

              show /vaultlink.json 440..492 "https://corp-kv.vault.azure.net/secrets/stripe-token"
            Not a credential: ignore this line (`vaultlink-ignore plaintext-secret`) (QuickFix, fixes plaintext-secret)
              edit /a.http
                55..55 => "# vaultlink-ignore plaintext-secret\n"
              /a.http after: "@host = api.stripe.com\nGET https://{{host}}/v1/charges\n# vaultlink-ignore plaintext-secret\nAuthorization: Bearer sk_live_é123\n"
        "##]],
    );
    check(
        "//- /a.http\nGET https://api.github.com/user\nX-Api-Key: abc$0def\nAuthorization: Basic dXNlcjpwYXNz\nX-Request-Id: 1\n",
        expect![[r#"
            Move to vault as `{{vault:github-api-key}}` (RefactorRewrite)
              edit /a.http
                43..49 => "{{vault:github-api-key}}"
              edit /vaultlink.json (create)
                0..0 => "{\n  \"secrets\": {\n    \"github-api-key\": {\n      \"link\": \"https://my-vault.vault.azure.net/secrets/github-api-key\",\n      \"allowedDomains\": [\"api.github.com\"]\n    }\n  }\n}\n"
              /a.http after: "GET https://api.github.com/user\nX-Api-Key: {{vault:github-api-key}}\nAuthorization: Basic dXNlcjpwYXNz\nX-Request-Id: 1\n"
              /vaultlink.json after:
                | {
                |   "secrets": {
                |     "github-api-key": {
                |       "link": "https://my-vault.vault.azure.net/secrets/github-api-key",
                |       "allowedDomains": ["api.github.com"]
                |     }
                |   }
                | }

              show /vaultlink.json 56..111 "https://my-vault.vault.azure.net/secrets/github-api-key"
        "#]],
    );
    // Query parameters, also on continuation lines.
    check(
        "//- /a.http\nGET https://maps.example.co.uk/geo?q=1&api_key=$0k3y#frag\n",
        expect![[r#"
            Move to vault as `{{vault:example-api-key}}` (RefactorRewrite)
              edit /a.http
                47..50 => "{{vault:example-api-key}}"
              edit /vaultlink.json (create)
                0..0 => "{\n  \"secrets\": {\n    \"example-api-key\": {\n      \"link\": \"https://my-vault.vault.azure.net/secrets/example-api-key\",\n      \"allowedDomains\": [\"maps.example.co.uk\"]\n    }\n  }\n}\n"
              /a.http after: "GET https://maps.example.co.uk/geo?q=1&api_key={{vault:example-api-key}}#frag\n"
              /vaultlink.json after:
                | {
                |   "secrets": {
                |     "example-api-key": {
                |       "link": "https://my-vault.vault.azure.net/secrets/example-api-key",
                |       "allowedDomains": ["maps.example.co.uk"]
                |     }
                |   }
                | }

              show /vaultlink.json 57..113 "https://my-vault.vault.azure.net/secrets/example-api-key"
        "#]],
    );
    check(
        "//- /a.http\nGET http://127.0.0.1:8080/x\n    ?a=1\n    &access_token=t$0ok\n",
        expect![[r#"
            Move to vault as `{{vault:access-token}}` (RefactorRewrite)
              edit /a.http
                55..58 => "{{vault:access-token}}"
              edit /vaultlink.json (create)
                0..0 => "{\n  \"secrets\": {\n    \"access-token\": {\n      \"link\": \"https://my-vault.vault.azure.net/secrets/access-token\",\n      \"allowedDomains\": [\"127.0.0.1\"]\n    }\n  }\n}\n"
              /a.http after: "GET http://127.0.0.1:8080/x\n    ?a=1\n    &access_token={{vault:access-token}}\n"
              /vaultlink.json after:
                | {
                |   "secrets": {
                |     "access-token": {
                |       "link": "https://my-vault.vault.azure.net/secrets/access-token",
                |       "allowedDomains": ["127.0.0.1"]
                |     }
                |   }
                | }

              show /vaultlink.json 54..107 "https://my-vault.vault.azure.net/secrets/access-token"
        "#]],
    );
    // Not literals, not credentials, no path.
    check(
        "//- /a.http\nGET https://x.test\nAuthorization: Bearer {{tok$0en}}\n",
        expect![[""]],
    );
    check(
        "//- /a.http\nGET https://x.test\nX-CSRF-Token: a$0bc\n",
        expect![[""]],
    );
    check(
        "//- /a.http\nGET https://x.test\nAccept: a$0bc\n",
        expect![[""]],
    );
    check(
        "//- @nopath\n//- /a.http\nGET https://x.test\nX-Api-Key: a$0bc\n",
        expect![[""]],
    );
}

#[test]
fn derived_names_do_not_collide() {
    check(
        r#"//- /vaultlink.json
{"secrets": {"stripe-api-key": {"link": "https://corp-kv.vault.azure.net/secrets/stripe-api-key"}}}
//- @names stripe-api-key-2
//- /a.http
GET https://api.stripe.com/v1
X-Api-Key: $0sk_test
"#,
        expect![[r#"
            Move to vault as `{{vault:stripe-api-key-3}}` (RefactorRewrite)
              edit /a.http
                41..48 => "{{vault:stripe-api-key-3}}"
              edit /vaultlink.json
                97..97 => ", \"stripe-api-key-3\": {\"link\": \"https://corp-kv.vault.azure.net/secrets/stripe-api-key-3\", \"allowedDomains\": [\"api.stripe.com\"]}"
              /a.http after: "GET https://api.stripe.com/v1\nX-Api-Key: {{vault:stripe-api-key-3}}\n"
              /vaultlink.json after:
                | {"secrets": {"stripe-api-key": {"link": "https://corp-kv.vault.azure.net/secrets/stripe-api-key"}, "stripe-api-key-3": {"link": "https://corp-kv.vault.azure.net/secrets/stripe-api-key-3", "allowedDomains": ["api.stripe.com"]}}}

              show /vaultlink.json 129..185 "https://corp-kv.vault.azure.net/secrets/stripe-api-key-3"
        "#]],
    );
}

#[test]
fn move_literal_credentials_in_collections() {
    check(
        r#"//- /api.postman_collection.json
{"info": {"name": "x", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
 "item": [{"name": "r", "request": {
   "url": {"raw": "https://api.stripe.com/v1?api_key=k\u00e9y&x=1", "query": [{"key": "api_key", "value": "k\u00e9$0y"}, {"key": "x", "value": "1"}]},
   "header": [{"key": "Authorization", "value": "Bearer \"t\u00e9\""}],
   "auth": {"type": "bearer", "bearer": [{"key": "token", "value": "abc", "type": "string"}]}}}]}
"#,
        expect![[r#"
            Move to vault as `{{vault:stripe-api-key}}` (RefactorRewrite)
              edit /api.postman_collection.json
                196..204 => "{{vault:stripe-api-key}}"
                250..258 => "{{vault:stripe-api-key}}"
              edit /vaultlink.json (create)
                0..0 => "{\n  \"secrets\": {\n    \"stripe-api-key\": {\n      \"link\": \"https://my-vault.vault.azure.net/secrets/stripe-api-key\",\n      \"allowedDomains\": [\"api.stripe.com\"]\n    }\n  }\n}\n"
              /api.postman_collection.json after: "{\"info\": {\"name\": \"x\", \"schema\": \"https://schema.getpostman.com/json/collection/v2.1.0/collection.json\"},\n \"item\": [{\"name\": \"r\", \"request\": {\n   \"url\": {\"raw\": \"https://api.stripe.com/v1?api_key={{vault:stripe-api-key}}&x=1\", \"query\": [{\"key\": \"api_key\", \"value\": \"{{vault:stripe-api-key}}\"}, {\"key\": \"x\", \"value\": \"1\"}]},\n   \"header\": [{\"key\": \"Authorization\", \"value\": \"Bearer \\\"t\\u00e9\\\"\"}],\n   \"auth\": {\"type\": \"bearer\", \"bearer\": [{\"key\": \"token\", \"value\": \"abc\", \"type\": \"string\"}]}}}]}\n"
              /vaultlink.json after:
                | {
                |   "secrets": {
                |     "stripe-api-key": {
                |       "link": "https://my-vault.vault.azure.net/secrets/stripe-api-key",
                |       "allowedDomains": ["api.stripe.com"]
                |     }
                |   }
                | }

              show /vaultlink.json 56..111 "https://my-vault.vault.azure.net/secrets/stripe-api-key"
        "#]],
    );
    check(
        r#"//- /api.postman_collection.json
{"info": {"name": "x", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
 "item": [{"name": "r", "request": {
   "url": {"raw": "https://api.stripe.com/v1"},
   "header": [{"key": "Authorization", "value": "Bearer \"t\u00e9$0\""}],
   "auth": {"type": "bearer", "bearer": [{"key": "token", "value": "abc", "type": "string"}]}}}]}
"#,
        expect![[r#"
            Move to vault as `{{vault:stripe-token}}` (RefactorRewrite)
              edit /api.postman_collection.json
                247..258 => "{{vault:stripe-token}}"
              edit /vaultlink.json (create)
                0..0 => "{\n  \"secrets\": {\n    \"stripe-token\": {\n      \"link\": \"https://my-vault.vault.azure.net/secrets/stripe-token\",\n      \"allowedDomains\": [\"api.stripe.com\"]\n    }\n  }\n}\n"
              /api.postman_collection.json after: "{\"info\": {\"name\": \"x\", \"schema\": \"https://schema.getpostman.com/json/collection/v2.1.0/collection.json\"},\n \"item\": [{\"name\": \"r\", \"request\": {\n   \"url\": {\"raw\": \"https://api.stripe.com/v1\"},\n   \"header\": [{\"key\": \"Authorization\", \"value\": \"Bearer {{vault:stripe-token}}\"}],\n   \"auth\": {\"type\": \"bearer\", \"bearer\": [{\"key\": \"token\", \"value\": \"abc\", \"type\": \"string\"}]}}}]}\n"
              /vaultlink.json after:
                | {
                |   "secrets": {
                |     "stripe-token": {
                |       "link": "https://my-vault.vault.azure.net/secrets/stripe-token",
                |       "allowedDomains": ["api.stripe.com"]
                |     }
                |   }
                | }

              show /vaultlink.json 54..107 "https://my-vault.vault.azure.net/secrets/stripe-token"
        "#]],
    );
    check(
        r#"//- /api.postman_collection.json
{"info": {"name": "x", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
 "item": [{"name": "r", "request": {
   "url": {"raw": "https://api.stripe.com/v1"},
   "auth": {"type": "bearer", "bearer": [{"key": "token", "value": "a$0bc", "type": "string"}]}}}]}
"#,
        expect![[r#"
            Move to vault as `{{vault:stripe-token}}` (RefactorRewrite)
              edit /api.postman_collection.json
                259..262 => "{{vault:stripe-token}}"
              edit /vaultlink.json (create)
                0..0 => "{\n  \"secrets\": {\n    \"stripe-token\": {\n      \"link\": \"https://my-vault.vault.azure.net/secrets/stripe-token\",\n      \"allowedDomains\": [\"api.stripe.com\"]\n    }\n  }\n}\n"
              /api.postman_collection.json after: "{\"info\": {\"name\": \"x\", \"schema\": \"https://schema.getpostman.com/json/collection/v2.1.0/collection.json\"},\n \"item\": [{\"name\": \"r\", \"request\": {\n   \"url\": {\"raw\": \"https://api.stripe.com/v1\"},\n   \"auth\": {\"type\": \"bearer\", \"bearer\": [{\"key\": \"token\", \"value\": \"{{vault:stripe-token}}\", \"type\": \"string\"}]}}}]}\n"
              /vaultlink.json after:
                | {
                |   "secrets": {
                |     "stripe-token": {
                |       "link": "https://my-vault.vault.azure.net/secrets/stripe-token",
                |       "allowedDomains": ["api.stripe.com"]
                |     }
                |   }
                | }

              show /vaultlink.json 54..107 "https://my-vault.vault.azure.net/secrets/stripe-token"
        "#]],
    );
}

#[test]
fn never_a_panic() {
    let f = Fixture::parse(
        &[
            LINKS,
            "//- /a.http\nGET https://x.test/é{{vault:k}}😀\nX-Api-Key: é中😀\n",
        ]
        .concat(),
    );
    let len = f.text().len() as u32;
    for start in (0..=len + 2).chain(awkward_offsets(f.text())) {
        for end in [start, start.saturating_add(3), u32::MAX] {
            f.with(|doc, world| code_actions(doc, TextRange::new(start, end.max(start)), world));
        }
    }
}

#[test]
fn hosts_that_cannot_be_allowed_domains_are_left_out() {
    check(
        "//- /a.http\nGET http://[::1]:8080/x?token=t$0ok\n",
        expect![[r#"
            Move to vault as `{{vault:token}}` (RefactorRewrite)
              edit /a.http
                30..33 => "{{vault:token}}"
              edit /vaultlink.json (create)
                0..0 => "{\n  \"secrets\": {\n    \"token\": {\n      \"link\": \"https://my-vault.vault.azure.net/secrets/token\"\n    }\n  }\n}\n"
              /a.http after: "GET http://[::1]:8080/x?token={{vault:token}}\n"
              /vaultlink.json after:
                | {
                |   "secrets": {
                |     "token": {
                |       "link": "https://my-vault.vault.azure.net/secrets/token"
                |     }
                |   }
                | }

              show /vaultlink.json 47..93 "https://my-vault.vault.azure.net/secrets/token"
        "#]],
    );
}

#[test]
fn dialect_missing_separators_get_the_portable_rewrite() {
    check(
        "//- /a.http\nPOST https://x.test/a\n{\"a\": 1}\n\n# @name b\n$0GET https://x.test/b\n",
        expect![[r####"
            Insert `###` before this request (QuickFix, fixes missing-separator, preferred)
              edit /a.http
                32..32 => "###\n"
              /a.http after: "POST https://x.test/a\n{\"a\": 1}\n\n###\n# @name b\nGET https://x.test/b\n"
        "####]],
    );
    check(
        "//- /a.http\r\nPOST https://x.test/a\r\n$0{\"a\": 1}\r\n",
        expect![[r#"
            Insert a blank line before the body (QuickFix, fixes missing-separator, preferred)
              edit /a.http
                23..23 => "\r\n"
              /a.http after: "POST https://x.test/a\r\n\r\n{\"a\": 1}\r\n"
        "#]],
    );
}

#[test]
fn visual_studio_key_vault_entries_move_to_vaultlink_json() {
    check(
        r#"//- /vaultlink.json
{
  "secrets": {
    "api-token": { "link": "https://other-kv.vault.azure.net/secrets/api-token" }
  }
}
//- /http-client.env.json
{
  "dev": {
    "token": {"provider": "AzureKeyVault", "secretName": "api-token", "resourceId": "/subscriptions/0/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/corp-kv"$0},
    "plain": "x"
  }
}
"#,
        expect![[r#"
            Move `token` to vaultlink.json as `{{vault:api-token-2}}` (RefactorRewrite)
              edit /http-client.env.json
                26..178 => "\"{{vault:api-token-2}}\""
              edit /vaultlink.json
                98..98 => ",\n    \"api-token-2\": { \"link\": \"https://corp-kv.vault.azure.net/secrets/api-token\" }"
              /http-client.env.json after: "{\n  \"dev\": {\n    \"token\": \"{{vault:api-token-2}}\",\n    \"plain\": \"x\"\n  }\n}\n"
              /vaultlink.json after:
                | {
                |   "secrets": {
                |     "api-token": { "link": "https://other-kv.vault.azure.net/secrets/api-token" },
                |     "api-token-2": { "link": "https://corp-kv.vault.azure.net/secrets/api-token" }
                |   }
                | }

              show /vaultlink.json 130..179 "https://corp-kv.vault.azure.net/secrets/api-token"
        "#]],
    );
}
