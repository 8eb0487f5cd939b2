//! `plaintext-secret` over whole documents: where each kind of file is read, what is left
//! alone, the ignore marker and its edit.

use std::fmt::Write as _;

use expect_test::{Expect, expect};

use super::*;
use crate::vault::document::DocKind;
use crate::vault::document::Parsed;

fn check(file_name: &str, text: &str, expect: Expect) {
    let kind = DocKind::detect(file_name, text).expect("a file vaultlink reads");
    let parsed = Parsed::parse(kind, text);
    let mut out = String::new();
    for f in findings(text, parsed.scanned()) {
        let value = f.range.slice(text);
        assert!(
            !f.message.contains(value),
            "the message repeats the value: {}",
            f.message
        );
        let _ = writeln!(out, "{:?} {value:?} {}", f.range, f.message);
    }
    expect.assert_eq(&out);
}

#[test]
fn http_files_url_headers_body_scripts_variables_and_comments() {
    check(
        "a.http",
        r#"@gh = ghp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5zZ9
# old key: sk_live_4eC39HqLyjWDarjtT1zdp7dc
GET https://api.example.com/items?api_key=Zx9Qw8Er7Ty6Ui5Op4As3Df2
Authorization: Bearer Zx9Qw8Er7Ty6Ui5
X-Api-Key: {{vault:api-key}}
X-Other: {{other}}

{"password": "Tr0ub4dor&3", "token": "{{token}}"}

> {%
  client.global.set("aws", "AKIAZ7Q4Y3X2W5V6U7T2");
%}
"#,
        expect![[r#"
            6..49 "ghp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5zZ9" A GitHub token is written here in plain text: move it to the vault (`{{vault:NAME}}`), or mark the line with `vaultlink-ignore plaintext-secret` if it is not a credential
            61..93 "sk_live_4eC39HqLyjWDarjtT1zdp7dc" A Stripe live key is written here in plain text: move it to the vault (`{{vault:NAME}}`), or mark the line with `vaultlink-ignore plaintext-secret` if it is not a credential
            136..160 "Zx9Qw8Er7Ty6Ui5Op4As3Df2" A credential is written here in plain text: move it to the vault (`{{vault:NAME}}`), or mark the line with `vaultlink-ignore plaintext-secret` if it is not a credential
            183..198 "Zx9Qw8Er7Ty6Ui5" A bearer token is written here in plain text: move it to the vault (`{{vault:NAME}}`), or mark the line with `vaultlink-ignore plaintext-secret` if it is not a credential
            262..273 "Tr0ub4dor&3" A credential is written here in plain text: move it to the vault (`{{vault:NAME}}`), or mark the line with `vaultlink-ignore plaintext-secret` if it is not a credential
            332..352 "AKIAZ7Q4Y3X2W5V6U7T2" An AWS access key id is written here in plain text: move it to the vault (`{{vault:NAME}}`), or mark the line with `vaultlink-ignore plaintext-secret` if it is not a credential
        "#]],
    );
}

#[test]
fn collections_headers_query_auth_variables_scripts_through_escapes() {
    check(
        "api.postman_collection.json",
        r#"{"info": {"name": "c", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
 "variable": [{"key": "stripeKey", "value": "sk_live_4eC39HqLyjWDarjtT1zdp7dc"}],
 "auth": {"type": "bearer", "bearer": [{"key": "token", "value": "Zx9Qw8Er7Ty6Ui5Op4As3Df2", "type": "string"}]},
 "item": [{"name": "r", "request": {
   "url": {"raw": "https://x.test/a?key=q8WmZ2rT5yU7iO9pA1sD3fG6", "query": [{"key": "key", "value": "q8WmZ2rT5yU7iO9pA1sD3fG6"}]},
   "header": [{"key": "Authorization", "value": "Basic YWxhZGRpbjpvcGVuc2VzYW1l"}, {"key": "X-Api-Key", "value": "{{vault:k}}"}],
   "auth": {"type": "basic", "basic": [{"key": "password", "value": "{{pw}}"}]}},
  "event": [{"listen": "prerequest", "script": {"exec": ["pm.request.headers.add({key: \"X-Token\", value: \"\u0067hp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5zZ9\"});"]}}]}]}"#,
        expect![[r#"
            151..183 "sk_live_4eC39HqLyjWDarjtT1zdp7dc" A Stripe live key is written here in plain text: move it to the vault (`{{vault:NAME}}`), or mark the line with `vaultlink-ignore plaintext-secret` if it is not a credential
            254..278 "Zx9Qw8Er7Ty6Ui5Op4As3Df2" A credential is written here in plain text: move it to the vault (`{{vault:NAME}}`), or mark the line with `vaultlink-ignore plaintext-secret` if it is not a credential
            441..465 "q8WmZ2rT5yU7iO9pA1sD3fG6" A credential is written here in plain text: move it to the vault (`{{vault:NAME}}`), or mark the line with `vaultlink-ignore plaintext-secret` if it is not a credential
            526..550 "YWxhZGRpbjpvcGVuc2VzYW1l" A Basic authorization (user name and password) is written here in plain text: move it to the vault (`{{vault:NAME}}`), or mark the line with `vaultlink-ignore plaintext-secret` if it is not a credential
            792..840 "\\u0067hp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5zZ9" A GitHub token is written here in plain text: move it to the vault (`{{vault:NAME}}`), or mark the line with `vaultlink-ignore plaintext-secret` if it is not a credential
        "#]],
    );
}

#[test]
fn environment_files_but_not_the_private_one() {
    let env = r#"{"dev": {"host": "api.example.com", "token": "Zx9Qw8Er7Ty6Ui5Op4As3Df2", "apiKey": "{{vault:k}}", "password": "changeme"}}"#;
    check(
        "http-client.env.json",
        env,
        expect![[r#"
            46..70 "Zx9Qw8Er7Ty6Ui5Op4As3Df2" A credential is written here in plain text: move it to the vault (`{{vault:NAME}}`), or mark the line with `vaultlink-ignore plaintext-secret` if it is not a credential
        "#]],
    );
    check("http-client.private.env.json", env, expect![[""]]);
    check(
        "dev.postman_environment.json",
        r#"{"name": "dev", "values": [{"key": "apiKey", "value": "Zx9Qw8Er7Ty6Ui5Op4As3Df2", "type": "secret", "enabled": true}]}"#,
        expect![[r#"
            55..79 "Zx9Qw8Er7Ty6Ui5Op4As3Df2" A credential is written here in plain text: move it to the vault (`{{vault:NAME}}`), or mark the line with `vaultlink-ignore plaintext-secret` if it is not a credential
        "#]],
    );
    check(
        "vaultlink.json",
        r#"{"secrets": {"a": {"link": "https://corp-kv.vault.azure.net/secrets/a"}}, "x": "ghp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5zZ9"}"#,
        expect![[""]],
    );
}

/// The "ignore this line" edit, applied, leaves no finding on that line, and the file reads
/// as before (same requests, valid JSON).
#[test]
fn the_ignore_edit_silences_the_line_it_marks() {
    let cases = [
        (
            "a.http",
            "GET https://x.test/\nAuthorization: Bearer Zx9Qw8Er7Ty6Ui5\nX-Api-Key: q8WmZ2rT5yU7iO9pA1sD3fG6\n\n> {%\n    client.global.set(\"aws\", \"AKIAZ7Q4Y3X2W5V6U7T2\");\n%}\n",
        ),
        (
            "c.postman_collection.json",
            "{\"info\": {\"name\": \"c\", \"schema\": \"https://schema.getpostman.com/json/collection/v2.1.0/collection.json\"},\n  \"item\": [{\"name\": \"r\", \"request\": {\"url\": \"https://x.test/\", \"header\": [{\n    \"key\": \"Authorization\",\n    \"value\": \"Bearer Zx9Qw8Er7Ty6Ui5\"\n  }]}}]}\n",
        ),
        (
            "http-client.env.json",
            "{\n  \"dev\": {\n    \"host\": \"x.test\",\n    \"token\": \"Zx9Qw8Er7Ty6Ui5Op4As3Df2\"\n  },\n  \"prod\": {\"host\": \"y.test\", \"apiKey\": \"q8WmZ2rT5yU7iO9pA1sD3fG6\"}\n}\n",
        ),
        (
            "dev.postman_environment.json",
            "{\"name\": \"dev\", \"values\": [{\"key\": \"apiKey\", \"value\": \"Zx9Qw8Er7Ty6Ui5Op4As3Df2\", \"enabled\": true}]}\n",
        ),
    ];
    for (name, text) in cases {
        let kind = DocKind::detect(name, text).unwrap();
        let mut text = text.to_string();
        let before = hits(&text, Parsed::parse(kind, &text).scanned()).len();
        assert!(before > 0, "{name}: nothing found to begin with");
        for i in 0..before {
            let parsed = Parsed::parse(kind, &text);
            let found = hits(&text, parsed.scanned());
            assert_eq!(found.len(), before - i, "{name}:\n{text}");
            let (range, insert) = ignore_edit(parsed.scanned(), &text, found[0].range).unwrap();
            text.replace_range(range.as_usize(), &insert);
        }
        let parsed = Parsed::parse(kind, &text);
        assert!(hits(&text, parsed.scanned()).is_empty(), "{name}:\n{text}");
        match &parsed {
            Parsed::Http(f) => {
                assert!(f.errors.is_empty(), "{:?}", f.errors);
                assert_eq!(f.requests[0].headers.len(), 2, "{text}");
            }
            Parsed::Collection(_) => {
                serde_json::from_str::<serde_json::Value>(&text).expect("valid JSON");
            }
            Parsed::Env(e) => {
                serde_json::from_str::<serde_json::Value>(&text).expect("valid JSON");
                assert!(e.errors.is_empty(), "{:?}", e.errors);
                // The marker is no variable: each environment keeps its own.
                let names: Vec<Vec<&str>> = e
                    .environments
                    .iter()
                    .map(|env| env.variables.iter().map(|v| v.name.as_str()).collect())
                    .collect();
                let expected: &[&[&str]] = if name == "http-client.env.json" {
                    &[&["host", "token"], &["host", "apiKey"]]
                } else {
                    &[&["apiKey"]]
                };
                assert_eq!(names, expected, "{text}");
            }
            _ => unreachable!(),
        }
        expect_file(name, &text);
    }

    fn expect_file(name: &str, text: &str) {
        match name {
            "a.http" => expect![[r#"
                GET https://x.test/
                # vaultlink-ignore plaintext-secret
                Authorization: Bearer Zx9Qw8Er7Ty6Ui5
                # vaultlink-ignore plaintext-secret
                X-Api-Key: q8WmZ2rT5yU7iO9pA1sD3fG6

                > {%
                    // vaultlink-ignore plaintext-secret
                    client.global.set("aws", "AKIAZ7Q4Y3X2W5V6U7T2");
                %}
            "#]].assert_eq(text),
            "http-client.env.json" => expect![[r#"
                {
                  "dev": {
                    "host": "x.test",
                    "//": "vaultlink-ignore plaintext-secret",
                    "token": "Zx9Qw8Er7Ty6Ui5Op4As3Df2"
                  },
                  "prod": {"host": "y.test", "//": "vaultlink-ignore plaintext-secret", "apiKey": "q8WmZ2rT5yU7iO9pA1sD3fG6"}
                }
            "#]].assert_eq(text),
            "dev.postman_environment.json" => expect![[r#"
                {"name": "dev", "values": [{"key": "apiKey", "//": "vaultlink-ignore plaintext-secret", "value": "Zx9Qw8Er7Ty6Ui5Op4As3Df2", "enabled": true}]}
            "#]].assert_eq(text),
            _ => expect![[r#"
                {"info": {"name": "c", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
                  "item": [{"name": "r", "request": {"url": "https://x.test/", "header": [{
                    "key": "Authorization",
                    "//": "vaultlink-ignore plaintext-secret",
                    "value": "Bearer Zx9Qw8Er7Ty6Ui5"
                  }]}}]}
            "#]].assert_eq(text),
        }
    }
}

/// An `.http` text read in two halves gives what one scan of it gives, on random texts and on
/// random edits of them (braces across `###` lines, private keys, line breaks of every kind).
#[test]
fn an_http_text_read_in_halves_gives_the_scan_of_the_whole() {
    use crate::vault::incremental::tests::{edits_and_seed, for_each_edited_text};
    let edits = edits_and_seed().0;
    let mut cut = 0;
    for_each_edited_text(edits / 20, |text| {
        assert_eq!(
            http_text_hits_from(text, 0),
            secrets::scan(None, text),
            "the hits of {text:?}"
        );
        cut += usize::from(http_cut_near(text, text.len() / 2).is_some());
    });
    assert!(cut > edits / 80, "only {cut} texts were cut in two");
}

/// A JSON document read in two halves gives what one walk of it gives, on random collections
/// and random edits of them, and on a top object whose `key` member names its `value`.
#[test]
fn a_json_document_read_in_halves_gives_the_scan_of_the_whole() {
    use crate::syntax::json;
    use crate::vault::incremental::tests::{edits_and_seed, for_each_edited_collection};
    let whole = |src: &str| {
        let tree = json::parse(src);
        let mut out = Vec::new();
        if let Some(root) = tree.root() {
            walk(src, &root, None, &mut out);
        }
        out.sort_by_key(|h| (h.range.start, h.range.end));
        out
    };
    let halves = |src: &str| {
        let tree = json::parse(src);
        let mut out = json_hits_from(src, tree.root(), 0);
        out.sort_by_key(|h| (h.range.start, h.range.end));
        out
    };
    let named = r#"{"key": "password", "value": "hunter2-correct-horse-battery", "item": [{"a": 1}, {"b": 2}]}"#;
    assert!(!whole(named).is_empty());
    assert_eq!(halves(named), whole(named));

    let edits = edits_and_seed().0;
    let mut found = 0;
    for_each_edited_collection(edits / 20, |text| {
        let expected = whole(text);
        found += usize::from(!expected.is_empty());
        assert_eq!(halves(text), expected, "the hits of {text:?}");
    });
    assert!(found > edits / 80, "only {found} documents had hits");
}
