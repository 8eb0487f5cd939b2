//! Code lenses over requests.

use expect_test::{Expect, expect};

use super::*;
use crate::vault::features::tests::{ENVS, Fixture, LINKS, show};

fn check(fixture: &str, expect: Expect) {
    let f = Fixture::parse(fixture);
    let lenses = f.with(code_lenses);
    let rendered: Vec<String> = lenses
        .iter()
        .map(|l| format!("{} {}", show(f.text(), l.range), l.title))
        .collect();
    expect.assert_eq(&rendered.join("\n"));
}

#[test]
fn http_requests() {
    check(
        &[
            LINKS,
            r#"//- /a.http
@auth = Bearer {{vault:db-password}}
### none
GET https://x.test/é中😀

### direct, each secret once
POST https://api.stripe.com/{{vault:stripe-key}}
A: {{vault:stripe-key}}
B: {{vault:missing}}

{"p": "{{vault:broken}}", "q": "{{vault:evil}}"}

### through a variable, and a dynamic name that counts for nothing
GET https://x.test
Authorization: {{auth}}
C: {{vault:{{env}}-x}}
> {% client.global.set("x", "{{vault:in-a-handler}}") %}
"#,
        ]
        .concat(),
        expect![[r#"
            105..153 "POST https://api.stripe.com/{{vault:stripe-key}}" 1 linked, 1 unlinked, 2 broken links
            317..335 "GET https://x.test" 1 linked"#]],
    );
}

#[test]
fn through_environments() {
    check(
        &[LINKS, ENVS, "//- /a.http\nGET https://x.test\nA: {{token}}\nB: {{apiToken}} {{mixed}} {{password}}\n"].concat(),
        expect![[r#"0..18 "GET https://x.test" 2 linked"#]],
    );
    // A cycle of variables ends.
    check(
        "//- /a.http\n@a = {{b}}\n@b = {{a}} {{vault:k}}\nGET https://x.test/{{a}}\n",
        expect![[r#"34..58 "GET https://x.test/{{a}}" 1 unlinked"#]],
    );
}

#[test]
fn collection_requests() {
    check(
        &[
            LINKS,
            r#"//- /api.postman_collection.json
{"info": {"name": "x", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
 "auth": {"type": "bearer", "bearer": [{"key": "token", "value": "{{vault:stripe-key}}"}]},
 "variable": [{"key": "pw", "value": "{{vault:db-password}}"}],
 "item": [
  {"name": "F\u00e9", "auth": {"type": "apikey", "apikey": [{"key": "value", "value": "{{vault:missing}}"}]},
   "item": [
     {"name": "inherits the folder's auth", "request": {"url": "https://x.test"}},
     {"name": "own auth", "request": {"url": "https://x.test/{{pw}}", "auth": {"type": "noauth"}}}
   ]},
  {"name": "inherits the collection's auth", "request": "https://x.test",
   "event": [{"listen": "test", "script": {"exec": ["pm.vault.get(\"broken\"); pm.vault.set(\"evil\", 1)"]}}]},
  {"name": "noauth", "request": {"url": "https://x.test", "auth": {"type": "noauth"}}}
 ]}
"#,
        ]
        .concat(),
        expect![[r#"
            411..437 "inherits the folder's auth" 1 unlinked
            494..502 "own auth" 1 linked
            597..627 "inherits the collection's auth" 1 linked, 1 broken link"#]],
    );
}

#[test]
fn other_files_have_none() {
    check(LINKS, expect![[""]]);
    check(ENVS, expect![[""]]);
}

#[test]
fn secrets_manager_links_count_as_linked() {
    check(
        r#"//- /vaultlink.json
{ "secrets": {
  "db": { "link": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbC123#password" },
  "token": { "link": "secretsmanager://eu-west-1/api-token" },
  "bad": { "link": "arn:aws:secretsmanager:eu-west-1:1:secret:x" }
} }
//- /a.http
GET https://x.test/{{vault:token}}
A: {{vault:db}}
B: {{vault:bad}}
"#,
        expect![[r#"0..34 "GET https://x.test/{{vault:token}}" 2 linked, 1 broken link"#]],
    );
}
