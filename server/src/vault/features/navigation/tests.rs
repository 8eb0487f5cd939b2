//! Vault names for references and rename, the name at the cursor, and definitions.

use expect_test::{Expect, expect};

use super::*;
use crate::vault::features::tests::{ENVS, Fixture, LINKS, awkward_offsets, show, show_file_range};

fn check_names(fixture: &str, expect: Expect) {
    let f = Fixture::parse(fixture);
    let names = f.with(|doc, _| vault_names(doc));
    let rendered: Vec<String> = names
        .iter()
        .map(|u| {
            format!(
                "{:?} name {} in {}",
                u.name,
                show(f.text(), u.name_range),
                show(f.text(), u.range)
            )
        })
        .collect();
    expect.assert_eq(&rendered.join("\n"));
}

fn check_definition(fixture: &str, expect: Expect) {
    let f = Fixture::parse(fixture);
    let got = f.with(|doc, world| definition(doc, f.cursor(), world));
    let rendered = match got {
        Some(at) => show_file_range(&f, &[], &at),
        None => "none".to_owned(),
    };
    expect.assert_eq(&rendered);
}

#[test]
fn names_in_http_files() {
    check_names(
        "//- /a.http\n@t = {{vault:from-var}}\n# {{vault:in-a-comment}}\nGET https://x.test/é中😀/{{vault:a}}\nX-Key: {{ vault:b }} {{vault:{{env}}-dyn}} {{vault:bad name}}\n\n{\"k\": \"{{vault:c.d_e}}\"}\n> {% client.global.set('x', '{{vault:in-handler}}') %}\n",
        expect![[r#"
            "from-var" name 13..21 "from-var" in 5..23 "{{vault:from-var}}"
            "a" name 86..87 "a" in 78..89 "{{vault:a}}"
            "b" name 106..107 "b" in 97..110 "{{ vault:b }}"
            "c.d_e" name 168..173 "c.d_e" in 160..175 "{{vault:c.d_e}}""#]],
    );
}

#[test]
fn names_in_collections_through_escapes() {
    check_names(
        r#"//- /api.postman_collection.json
{"info": {"name": "{{vault:in-a-name}}", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
 "variable": [{"key": "v", "value": "{{vault:var}}"}],
 "item": [{"name": "r", "request": {"url": "https://x.test/\u00e9\"{{vault:url}}",
   "header": [{"key": "A", "value": "\u4e2d {{vault:header}}"}]},
   "event": [{"listen": "test", "script": {"exec": ["pm.vault.get(\"\u00e9sc\"); pm.vault.set('b', 1)"]}}]}]}
"#,
        expect![[r#"
            "var" name 169..172 "var" in 161..174 "{{vault:var}}"
            "url" name 254..257 "url" in 246..259 "{{vault:url}}"
            "header" name 314..320 "header" in 306..322 "{{vault:header}}"
            "ésc" name 396..404 "\\u00e9sc" in 396..404 "\\u00e9sc"
            "b" name 423..424 "b" in 423..424 "b""#]],
    );
}

#[test]
fn names_in_env_and_links_files() {
    check_names(
        ENVS,
        expect![[r#""stripe-key" name 108..118 "stripe-key" in 100..120 "{{vault:stripe-key}}""#]],
    );
    check_names(
        "//- /vaultlink.json\n{\"secrets\": {\"plain\": {\"link\": \"x\"}, \"\\u00e9sc\": {}}}\n",
        expect![[r#"
            "plain" name 14..19 "plain" in 13..20 "\"plain\""
            "ésc" name 38..46 "\\u00e9sc" in 37..47 "\"\\u00e9sc\"""#]],
    );
}

#[test]
fn name_at_the_cursor() {
    let fixture = "//- /a.http\nGET https://x.test\nA: {{vault:a}}{{vault:bb}} {{var}}\n";
    let f = Fixture::parse(fixture);
    let text = f.text();
    let mut out = Vec::new();
    for offset in 19..text.len() as u32 {
        let got = f.with(|doc, _| name_at(doc, offset));
        out.push(format!(
            "{offset} {}",
            got.map_or("-".to_owned(), |u| u.name)
        ));
    }
    expect![[r#"
        19 -
        20 -
        21 -
        22 a
        23 a
        24 a
        25 a
        26 a
        27 a
        28 a
        29 a
        30 a
        31 a
        32 a
        33 a
        34 bb
        35 bb
        36 bb
        37 bb
        38 bb
        39 bb
        40 bb
        41 bb
        42 bb
        43 bb
        44 bb
        45 bb
        46 -
        47 -
        48 -
        49 -
        50 -
        51 -
        52 -
        53 -"#]]
    .assert_eq(&out.join("\n"));
    for offset in awkward_offsets(text) {
        assert_eq!(f.with(|doc, _| name_at(doc, offset)), None);
    }
    let f = Fixture::parse(&LINKS.replace("\"evil\":", "\"evil\"$0:"));
    let got = f.with(|doc, _| name_at(doc, f.cursor()));
    expect![[r#"Some(NameUse { name: "evil", name_range: 352..356, range: 351..357 })"#]]
        .assert_eq(&format!("{got:?}"));
}

#[test]
fn definitions_of_vault_references() {
    check_definition(
        &[
            LINKS,
            "//- /a.http\nGET https://x.test/é\nA: {{vault:$0evil}}\n",
        ]
        .concat(),
        expect![[r#"/vaultlink.json 351..357 "\"evil\"""#]],
    );
    check_definition(
        &[
            LINKS,
            "//- /a.http\nGET https://x.test/é\nA: {{vault:$0unknown}}\n",
        ]
        .concat(),
        expect!["none"],
    );
    check_definition(
        "//- /a.http\nGET https://x.test/é\nA: {{vault:$0evil}}\n",
        expect!["none"],
    );
    check_definition(
        &[
            LINKS,
            r#"//- /api.postman_collection.json
{"item": [{"name": "r", "request": "https://x.test", "event": [{"script": {"exec": ["\u00e9; pm.vault.get(\"db-pass$0word\")"]}}]}]}
"#,
        ]
        .concat(),
        expect![[r#"/vaultlink.json 159..172 "\"db-password\"""#]],
    );
}

#[test]
fn definitions_of_variables() {
    check_definition(
        &[
            ENVS,
            "//- /a.http\n@host = https://file.test\nGET {{ho$0st}}/a\n",
        ]
        .concat(),
        expect![[r#"/a.http 1..5 "host""#]],
    );
    check_definition(
        &[
            ENVS,
            "//- @env dev\n//- /a.http\nGET {{ho$0st}}/a\nA: {{version}}\n",
        ]
        .concat(),
        expect![[r#"/http-client.env.json 48..52 "host""#]],
    );
    check_definition(
        &[
            ENVS,
            "//- @env dev\n//- /a.http\nGET {{host}}/a\nA: {{vers$0ion}}\n",
        ]
        .concat(),
        expect![[r#"/http-client.env.json 18..25 "version""#]],
    );
    check_definition(
        "//- /a.http\n###\n# @name login\nPOST https://x.test\n\n###\nGET https://x.test/{{login.response.body.$$0.id}}\n",
        expect![[r#"/a.http 12..17 "login""#]],
    );
    check_definition(
        r#"//- /api.postman_collection.json
{"variable": [{"key": "b\u00e9", "value": "https://c.test"}],
 "item": [{"name": "r", "request": {"url": "{{b\u00e9$0}}/x"}}]}
"#,
        expect![[r#"/api.postman_collection.json 23..30 "b\\u00e9""#]],
    );
    // No path for the document itself: nowhere to go.
    check_definition(
        "//- @nopath\n//- /a.http\n@host = x\nGET {{ho$0st}}/a\n",
        expect!["none"],
    );
    check_definition("//- /a.http\nGET {{nowh$0ere}}/a\n", expect!["none"]);
    check_definition("//- /a.http\nGET {{$uu$0id}}/a\n", expect!["none"]);
}
