//! Completion after `{{`, `{{vault:`, inside `pm.vault.*("` and in `link` values.

use expect_test::{Expect, expect};

use super::*;
use crate::vault::features::tests::{ENVS, Fixture, LINKS, awkward_offsets, show};

/// One line per item: label, kind, detail, the range it replaces and what it inserts.
fn check(fixture: &str, expect: Expect) {
    let f = Fixture::parse(fixture);
    let items = f.with(|doc, world| completion(doc, f.cursor(), world));
    let rendered: Vec<String> = items
        .iter()
        .map(|c| {
            format!(
                "{:?} {:?} [{}] {} => {:?}",
                c.kind,
                c.label,
                c.detail.as_deref().unwrap_or("-"),
                show(f.text(), c.range),
                c.insert
            )
        })
        .collect();
    expect.assert_eq(&rendered.join("\n"));
}

#[test]
fn vault_names_after_vault_prefix() {
    check(
        &[
            LINKS,
            "//- @names api-token stripe-key\n//- /a.http\nGET https://x.test\nA: {{vault:str$0\n",
        ]
        .concat(),
        expect![[r#"
            Secret "api-token" [not linked] 30..33 "str" => "api-token}}"
            Secret "broken" [https://corp-kv.vault.azure.net/keys/broken] 30..33 "str" => "broken}}"
            Secret "db-password" [https://corp-kv.vault.azure.net/secrets/db-password/4387e9f3d6e14c459867679a90fd0f79] 30..33 "str" => "db-password}}"
            Secret "evil" [https://evil.example.com/secrets/x] 30..33 "str" => "evil}}"
            Secret "stripe-key" [https://corp-kv.vault.azure.net/secrets/stripe-key] 30..33 "str" => "stripe-key}}""#]],
    );
}

#[test]
fn partial_name_after_the_cursor_and_closing_braces() {
    // The range covers the whole name; `}}` is there already.
    check(
        &[
            LINKS,
            "//- /a.http\nGET https://x.test\nA: {{ vault: st$0ri }}\n",
        ]
        .concat(),
        expect![[r#"
            Secret "broken" [https://corp-kv.vault.azure.net/keys/broken] 32..36 "stri" => "broken"
            Secret "db-password" [https://corp-kv.vault.azure.net/secrets/db-password/4387e9f3d6e14c459867679a90fd0f79] 32..36 "stri" => "db-password"
            Secret "evil" [https://evil.example.com/secrets/x] 32..36 "stri" => "evil"
            Secret "stripe-key" [https://corp-kv.vault.azure.net/secrets/stripe-key] 32..36 "stri" => "stripe-key""#]],
    );
    // Non-ASCII before the cursor.
    check(
        &[
            LINKS,
            "//- /a.http\nPOST https://x.test\n\n{\"é中😀\": \"{{vault:$0\"}\n",
        ]
        .concat(),
        expect![[r#"
            Secret "broken" [https://corp-kv.vault.azure.net/keys/broken] 44..44 "" => "broken}}"
            Secret "db-password" [https://corp-kv.vault.azure.net/secrets/db-password/4387e9f3d6e14c459867679a90fd0f79] 44..44 "" => "db-password}}"
            Secret "evil" [https://evil.example.com/secrets/x] 44..44 "" => "evil}}"
            Secret "stripe-key" [https://corp-kv.vault.azure.net/secrets/stripe-key] 44..44 "" => "stripe-key}}""#]],
    );
}

#[test]
fn variables_keyword_and_dynamic_variables_after_braces() {
    // The request's own name (`login`) is not offered: a request cannot read its response.
    check(
        &[
            ENVS,
            "//- @env dev\n//- /a.http\n@base = https://x.test\n# @name login\nGET {{ba$0}}/a\n",
        ]
        .concat(),
        expect![[r#"
            Keyword "vault:" [a secret linked to Azure Key Vault] 43..45 "ba" => "vault:"
            Variable "base" [file variable] 43..45 "ba" => "base"
            Variable "version" [environment $shared (http-client.env.json)] 43..45 "ba" => "version"
            Variable "host" [environment dev (http-client.env.json)] 43..45 "ba" => "host"
            Variable "token" [environment dev (http-client.env.json)] 43..45 "ba" => "token"
            Variable "port" [environment dev (http-client.env.json)] 43..45 "ba" => "port"
            Variable "password" [environment dev (http-client.private.env.json)] 43..45 "ba" => "password"
            Variable "apiToken" [environment dev (http-client.private.env.json)] 43..45 "ba" => "apiToken"
            Variable "mixed" [environment dev (http-client.private.env.json)] 43..45 "ba" => "mixed"
            Dynamic "$uuid" [a random UUID (v4), new for each request] 43..45 "ba" => "$uuid"
            Dynamic "$random.uuid" [a random UUID (v4), new for each request] 43..45 "ba" => "$random.uuid"
            Dynamic "$guid" [a random UUID (v4), new for each request] 43..45 "ba" => "$guid"
            Dynamic "$timestamp" [the current Unix time, in seconds] 43..45 "ba" => "$timestamp"
            Dynamic "$isoTimestamp" [the current time in ISO 8601 (UTC)] 43..45 "ba" => "$isoTimestamp"
            Dynamic "$randomInt" [a random integer (REST Client takes `min max`)] 43..45 "ba" => "$randomInt"
            Dynamic "$random.integer" [a random integer: `$random.integer(from, to)`] 43..45 "ba" => "$random.integer"
            Dynamic "$random.email" [a random e-mail address] 43..45 "ba" => "$random.email"
            Dynamic "$datetime" [the current time in a format: `{{$datetime iso8601}}`] 43..45 "ba" => "$datetime"
            Dynamic "$localDatetime" [the local time in a format: `{{$localDatetime rfc1123}}`] 43..45 "ba" => "$localDatetime"
            Dynamic "$processEnv" [an environment variable of the process: `{{$processEnv NAME}}`] 43..45 "ba" => "$processEnv"
            Dynamic "$dotenv" [a value from the `.env` file beside the request file: `{{$dotenv NAME}}`] 43..45 "ba" => "$dotenv""#]],
    );
    // In a file variable's value.
    check(
        "//- /a.http\n@token = {{$0\nGET https://x.test\n",
        expect![[r#"
            Keyword "vault:" [a secret linked to Azure Key Vault] 11..11 "" => "vault:"
            Variable "token" [file variable] 11..11 "" => "token}}"
            Dynamic "$uuid" [a random UUID (v4), new for each request] 11..11 "" => "$uuid}}"
            Dynamic "$random.uuid" [a random UUID (v4), new for each request] 11..11 "" => "$random.uuid}}"
            Dynamic "$guid" [a random UUID (v4), new for each request] 11..11 "" => "$guid}}"
            Dynamic "$timestamp" [the current Unix time, in seconds] 11..11 "" => "$timestamp}}"
            Dynamic "$isoTimestamp" [the current time in ISO 8601 (UTC)] 11..11 "" => "$isoTimestamp}}"
            Dynamic "$randomInt" [a random integer (REST Client takes `min max`)] 11..11 "" => "$randomInt}}"
            Dynamic "$random.integer" [a random integer: `$random.integer(from, to)`] 11..11 "" => "$random.integer}}"
            Dynamic "$random.email" [a random e-mail address] 11..11 "" => "$random.email}}"
            Dynamic "$datetime" [the current time in a format: `{{$datetime iso8601}}`] 11..11 "" => "$datetime}}"
            Dynamic "$localDatetime" [the local time in a format: `{{$localDatetime rfc1123}}`] 11..11 "" => "$localDatetime}}"
            Dynamic "$processEnv" [an environment variable of the process: `{{$processEnv NAME}}`] 11..11 "" => "$processEnv}}"
            Dynamic "$dotenv" [a value from the `.env` file beside the request file: `{{$dotenv NAME}}`] 11..11 "" => "$dotenv}}""#]],
    );
}

#[test]
fn collections_map_ranges_through_escapes() {
    check(
        &[
            LINKS,
            r#"//- /api.postman_collection.json
{"info": {"name": "x", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
 "variable": [{"key": "base", "value": "https://c.test"}],
 "item": [{"name": "r", "request": {"url": "{{base}}",
   "header": [{"key": "A", "value": "\u00e9\"😀 {{vault:db$0"}]}}]}
"#,
        ]
        .concat(),
        expect![[r#"
            Secret "broken" [https://corp-kv.vault.azure.net/keys/broken] 278..280 "db" => "broken}}"
            Secret "db-password" [https://corp-kv.vault.azure.net/secrets/db-password/4387e9f3d6e14c459867679a90fd0f79] 278..280 "db" => "db-password}}"
            Secret "evil" [https://evil.example.com/secrets/x] 278..280 "db" => "evil}}"
            Secret "stripe-key" [https://corp-kv.vault.azure.net/secrets/stripe-key] 278..280 "db" => "stripe-key}}""#]],
    );
    check(
        r#"//- /api.postman_collection.json
{"info": {"name": "x", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
 "variable": [{"key": "base", "value": "https://c.test"}],
 "item": [{"name": "r", "request": {"url": "\u00e9{{$0}}"}}]}
"#,
        expect![[r#"
            Keyword "vault:" [a secret linked to Azure Key Vault] 217..217 "" => "vault:"
            Variable "base" [collection variable] 217..217 "" => "base"
            Dynamic "$guid" [a random UUID (v4), new for each request] 217..217 "" => "$guid"
            Dynamic "$randomUUID" [a random UUID (v4), new for each request] 217..217 "" => "$randomUUID"
            Dynamic "$timestamp" [the current Unix time, in seconds] 217..217 "" => "$timestamp"
            Dynamic "$isoTimestamp" [the current time in ISO 8601 (UTC)] 217..217 "" => "$isoTimestamp"
            Dynamic "$randomInt" [a random integer (REST Client takes `min max`)] 217..217 "" => "$randomInt""#]],
    );
}

#[test]
fn script_names() {
    let coll = |script: &str| {
        format!(
            r#"//- /api.postman_collection.json
{{"info": {{"name": "x", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"}},
 "item": [{{"name": "r", "request": "https://x.test",
   "event": [{{"listen": "test", "script": {{"exec": ["{script}"]}}}}]}}]}}
"#
        )
    };
    check(
        &[
            LINKS,
            "//- @names other\n",
            &coll(r#"// \u00e9\n const k = pm.vault.get(\"db$0-pass\");"#),
        ]
        .concat(),
        expect![[r#"
            Secret "broken" [https://corp-kv.vault.azure.net/keys/broken] 249..256 "db-pass" => "broken"
            Secret "db-password" [https://corp-kv.vault.azure.net/secrets/db-password/4387e9f3d6e14c459867679a90fd0f79] 249..256 "db-pass" => "db-password"
            Secret "evil" [https://evil.example.com/secrets/x] 249..256 "db-pass" => "evil"
            Secret "other" [not linked] 249..256 "db-pass" => "other"
            Secret "stripe-key" [https://corp-kv.vault.azure.net/secrets/stripe-key] 249..256 "db-pass" => "stripe-key""#]],
    );
    check(
        &[LINKS, &coll(r#"await pm.vault.unset( '$0"#)].concat(),
        expect![[r#"
            Secret "broken" [https://corp-kv.vault.azure.net/keys/broken] 235..235 "" => "broken"
            Secret "db-password" [https://corp-kv.vault.azure.net/secrets/db-password/4387e9f3d6e14c459867679a90fd0f79] 235..235 "" => "db-password"
            Secret "evil" [https://evil.example.com/secrets/x] 235..235 "" => "evil"
            Secret "stripe-key" [https://corp-kv.vault.azure.net/secrets/stripe-key] 235..235 "" => "stripe-key""#]],
    );
    // Not a vault call.
    check(
        &[LINKS, &coll(r#"pm.environment.get(\"$0"#)].concat(),
        expect![[r#""#]],
    );
}

#[test]
fn environment_values() {
    check(
        &[
            LINKS,
            ENVS.replace("Bearer {{vault:stripe-key}}", "Bearer {{vault:$0}}")
                .as_str(),
        ]
        .concat(),
        expect![[r#"
            Secret "broken" [https://corp-kv.vault.azure.net/keys/broken] 108..108 "" => "broken"
            Secret "db-password" [https://corp-kv.vault.azure.net/secrets/db-password/4387e9f3d6e14c459867679a90fd0f79] 108..108 "" => "db-password"
            Secret "evil" [https://evil.example.com/secrets/x] 108..108 "" => "evil"
            Secret "stripe-key" [https://corp-kv.vault.azure.net/secrets/stripe-key] 108..108 "" => "stripe-key""#]],
    );
}

#[test]
fn link_values_in_the_links_file() {
    let links = r#"//- /vaultlink.json
{
  "secrets": {
    "a": { "link": "https://corp-kv.vault.azure.net/secrets/a" },
    "b": { "link": "https://other-kv.vault.azure.cn/secrets/b/4387e9f3d6e14c459867679a90fd0f79" },
    "c": { "link": "https://corp-kv.vault.azure.net/secrets/c" },
    "new": { "link": "https://co$0" }
  }
}
"#;
    check(
        links,
        expect![[r#"
        Link "https://corp-kv.vault.azure.net/secrets/" [a secret in the vault corp-kv] 270..280 "https://co" => "https://corp-kv.vault.azure.net/secrets/"
        Link "https://other-kv.vault.azure.cn/secrets/" [a secret in the vault other-kv] 270..280 "https://co" => "https://other-kv.vault.azure.cn/secrets/""#]],
    );
    // Not in a link value.
    check(
        &links.replace("$0", "").replace("\"new\"", "\"n$0ew\""),
        expect![[r#""#]],
    );
}

#[test]
fn nothing_elsewhere_and_never_a_panic() {
    for fixture in [
        "//- /a.http\n# {{$0 in a comment\nGET https://x.test\n",
        "//- /a.http\nGET https://x.test\nA: {{done}} $0\n",
        "//- /a.http\nGET https://x.test\nA: {{a b $0\n",
        "//- /a.http\nGET https://x.test\n> {% client.global.set('{{$0') %}\n",
    ] {
        check(&[LINKS, fixture].concat(), expect![[""]]);
    }
    for doc in [
        "//- /a.http\nGET https://x.test/é{{vault:stripe-key}}😀{{\nA: {{$uuid}}\n",
        "//- /c.postman_collection.json\n{\"item\": [{\"name\": \"é\", \"request\": {\"url\": \"\\u00e9{{vault:k\"}, \"event\": [{\"script\": {\"exec\": [\"pm.vault.get(\\\"é\\\")\"]}}]}]}\n",
        "//- /http-client.env.json\n{\"dev\": {\"a\": \"😀{{vault:k}}\"}}\n",
    ] {
        let f = Fixture::parse(&[LINKS, doc].concat());
        let len = f.text().len() as u32;
        for offset in (0..=len + 2).chain(awkward_offsets(f.text())) {
            for c in f.with(|doc, world| completion(doc, offset, world)) {
                assert!(f.text().get(c.range.as_usize()).is_some(), "{c:?}");
            }
        }
    }
    let f = Fixture::parse(LINKS);
    for offset in awkward_offsets(f.text()) {
        f.with(|doc, world| completion(doc, offset, world));
    }
}

#[test]
fn request_names_are_those_just_before() {
    let mut text = String::from("//- /a.http\n");
    for i in 0..150 {
        text.push_str(&format!("###\n# @name r{i}\nGET https://x.test/{i}\n\n"));
    }
    text.push_str("###\nGET https://x.test/{{r$0\n");
    let f = Fixture::parse(&text);
    let items = f.with(|doc, world| completion(doc, f.cursor(), world));
    let names: Vec<&str> = items
        .iter()
        .filter(|c| c.kind == CompletionKind::Variable)
        .map(|c| c.label.as_str())
        .collect();
    assert_eq!(names.len(), 100);
    assert_eq!((names[0], names[99]), ("r149", "r50"));
}
