//! Hover on vault references, script calls, variables and dynamic variables.

use expect_test::{Expect, expect};

use super::*;
use crate::vault::features::tests::{ENVS, Fixture, LINKS, awkward_offsets, show};

fn check(fixture: &str, expect: Expect) {
    let f = Fixture::parse(fixture);
    let got = f.with(|doc, world| hover(doc, f.cursor(), world));
    let rendered = match got {
        Some(h) => format!("{}\n{}", show(f.text(), h.range), h.markdown),
        None => "no hover".to_owned(),
    };
    expect.assert_eq(&rendered);
}

fn fixture(parts: &[&str]) -> String {
    parts.concat()
}

#[test]
fn linked_reference() {
    check(
        &fixture(&[
            LINKS,
            "//- /a.http\nGET https://api.stripe.com/v1\nAuthorization: Bearer $0{{vault:stripe-key}}\n",
        ]),
        expect![[r#"
            52..72 "{{vault:stripe-key}}"
            **stripe-key** — vault secret

            - vault: `corp-kv`
            - secret: `stripe-key`
            - version: latest
            - identifier: https://corp-kv.vault.azure.net/secrets/stripe-key
            - allowed hosts: api.stripe.com, *.stripe.com"#]],
    );
}

#[test]
fn cursor_on_the_last_byte_and_just_after() {
    let doc = "//- /a.http\nGET https://x.test\nA: {{vault:stripe-key}$0}\n";
    check(
        &fixture(&[LINKS, doc]),
        expect![[r#"
            22..42 "{{vault:stripe-key}}"
            **stripe-key** — vault secret

            - vault: `corp-kv`
            - secret: `stripe-key`
            - version: latest
            - identifier: https://corp-kv.vault.azure.net/secrets/stripe-key
            - allowed hosts: api.stripe.com, *.stripe.com"#]],
    );
    let doc = "//- /a.http\nGET https://x.test\nA: {{vault:stripe-key}}$0 tail\n";
    check(
        &fixture(&[LINKS, doc]),
        expect![[r#"
            22..42 "{{vault:stripe-key}}"
            **stripe-key** — vault secret

            - vault: `corp-kv`
            - secret: `stripe-key`
            - version: latest
            - identifier: https://corp-kv.vault.azure.net/secrets/stripe-key
            - allowed hosts: api.stripe.com, *.stripe.com"#]],
    );
    let doc = "//- /a.http\nGET https://x.test\nA: {{vault:stripe-key}} $0tail\n";
    check(&fixture(&[LINKS, doc]), expect!["no hover"]);
}

#[test]
fn pinned_version_any_host_and_non_ascii_before() {
    check(
        &fixture(&[
            LINKS,
            "//- /a.http\nPOST https://x.test\n\n{\"é中😀\": \"{{vault:db-pa$0ssword}}\"}\n",
        ]),
        expect![[r#"
            36..57 "{{vault:db-password}}"
            **db-password** — vault secret

            - vault: `corp-kv`
            - secret: `db-password`
            - version: `4387e9f3d6e14c459867679a90fd0f79`
            - identifier: https://corp-kv.vault.azure.net/secrets/db-password/4387e9f3d6e14c459867679a90fd0f79
            - allowed hosts: any host"#]],
    );
}

#[test]
fn unlinked_and_broken_references() {
    check(
        &fixture(&[
            LINKS,
            "//- /a.http\nGET https://x.test/{{vault:mis$0sing}}\n",
        ]),
        expect![[r#"
            19..36 "{{vault:missing}}"
            **missing** — vault secret, not linked

            No link for `missing` in vaultlink.json: use the quick fix "Add a link", or run `vaultlink link missing <identifier>`."#]],
    );
    check(
        "//- /a.http\nGET https://x.test/{{vault:mis$0sing}}\n",
        expect![[r#"
            19..36 "{{vault:missing}}"
            **missing** — vault secret, not linked

            No vaultlink.json was found: create one with the quick fix "Add a link", or run `vaultlink link missing <identifier>`."#]],
    );
    check(
        &fixture(&[
            LINKS,
            "//- /a.http\nGET https://x.test/{{vault:$0broken}}\n",
        ]),
        expect![[r#"
            19..35 "{{vault:broken}}"
            **broken** — vault secret, broken link

            The link in vaultlink.json is not usable: the link must point to a secret (`/secrets/<name>`), not `/keys`; expected https://\<vault\>.vault.azure.net/secrets/\<name\>\[/\<version\>\]

            - link: `https://corp-kv.vault.azure.net/keys/broken`"#]],
    );
    check(
        &fixture(&[LINKS, "//- /a.http\nGET https://x.test/{{vault:$0evil}}\n"]),
        expect![[r#"
            19..33 "{{vault:evil}}"
            **evil** — vault secret, broken link

            The link in vaultlink.json is not usable: `evil.example.com` is not a Key Vault host

            - link: `https://evil.example.com/secrets/x`"#]],
    );
}

#[test]
fn invalid_and_dynamic_vault_references() {
    check(
        "//- /a.http\nGET https://x.test\nA: {{vault:bad$0 name}}\n",
        expect![[r#"
            22..40 "{{vault:bad name}}"
            **invalid vault reference**

            a vault reference name takes only letters, digits, `_`, `-` and `.`"#]],
    );
    // The name resolves with the chosen environment's values.
    check(
        &fixture(&[
            LINKS,
            "//- /http-client.env.json\n{\"dev\": {\"kind\": \"stripe\"}}\n",
            "//- @env dev\n",
            "//- /a.http\nGET https://x.test\nA: {{vault:{{kind}}-k$0ey}}\n",
        ]),
        expect![[r#"
            22..44 "{{vault:{{kind}}-key}}"
            `{{vault:{{kind}}-key}}` — dynamic vault reference

            The name is built from variables when the request is sent.

            With the values known here it is `{{vault:stripe-key}}`:

            **stripe-key** — vault secret

            - vault: `corp-kv`
            - secret: `stripe-key`
            - version: latest
            - identifier: https://corp-kv.vault.azure.net/secrets/stripe-key
            - allowed hosts: api.stripe.com, *.stripe.com"#]],
    );
    // On the variable inside, the variable.
    check(
        "//- /a.http\n@kind = stripe\nGET https://x.test\nA: {{vault:{{ki$0nd}}-key}}\n",
        expect![[r#"
            45..53 "{{kind}}"
            **kind** — variable

            - `@kind` in this file: `stripe`"#]],
    );
}

#[test]
fn collection_strings_map_through_escapes() {
    // `\u00e9` and `\"` before the reference: the range lands on the exact source bytes.
    check(
        &fixture(&[
            LINKS,
            r#"//- /api.postman_collection.json
{"info": {"name": "x", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
 "item": [{"name": "r", "request": {"url": "https://api.stripe.com",
   "header": [{"key": "A", "value": "\u00e9\"中 {{vault:str$0ipe-key}}"}]}}]}
"#,
        ]),
        expect![[r#"
            224..244 "{{vault:stripe-key}}"
            **stripe-key** — vault secret

            - vault: `corp-kv`
            - secret: `stripe-key`
            - version: latest
            - identifier: https://corp-kv.vault.azure.net/secrets/stripe-key
            - allowed hosts: api.stripe.com, *.stripe.com"#]],
    );
}

#[test]
fn script_calls() {
    let coll = |script: &str| {
        format!(
            r#"//- /api.postman_collection.json
{{"info": {{"name": "x", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"}},
 "item": [{{"name": "r", "request": "https://x.test",
   "event": [{{"listen": "prerequest", "script": {{"exec": ["{script}"]}}}}]}}]}}
"#
        )
    };
    check(
        &fixture(&[
            LINKS,
            &coll(r#"// \u00e9\"\n const k = pm.vault.get(\"stri$0pe-key\");"#),
        ]),
        expect![[r#"
            257..267 "stripe-key"
            **stripe-key** — vault secret

            - vault: `corp-kv`
            - secret: `stripe-key`
            - version: latest
            - identifier: https://corp-kv.vault.azure.net/secrets/stripe-key
            - allowed hosts: api.stripe.com, *.stripe.com

            Used by `pm.vault.get` in a script. Scripts may not use vault secrets unless vaultlink.json sets `"scripts": {"allowVaultAccess": true}`."#]],
    );
    check(
        &fixture(&[LINKS, &coll(r#"pm.vault.set('db-password$0', v)"#)]),
        expect![[r#"
            232..243 "db-password"
            **db-password** — vault secret

            - vault: `corp-kv`
            - secret: `db-password`
            - version: `4387e9f3d6e14c459867679a90fd0f79`
            - identifier: https://corp-kv.vault.azure.net/secrets/db-password/4387e9f3d6e14c459867679a90fd0f79
            - allowed hosts: any host

            Used by `pm.vault.set` in a script. Scripts may not use vault secrets unless vaultlink.json sets `"scripts": {"allowVaultAccess": true}`. A linked secret cannot be changed from a script."#]],
    );
    check(
        &coll(r#"pm.vault.get('a b$0')"#),
        expect![[r#"
            232..235 "a b"
            **invalid vault reference**

            a vault reference name takes only letters, digits, `_`, `-` and `.`"#]],
    );
}

#[test]
fn variables_show_where_they_are_defined_and_mask_secrets() {
    let doc = "//- /a.http\n@host = https://file.test\n# @name login\nGET {{h$0ost}}/a\n";
    check(
        &fixture(&[ENVS, doc]),
        expect![[r#"
            44..52 "{{host}}"
            **host** — variable

            - `@host` in this file: `https://file.test`
            - environment `dev` in http-client.env.json: `https://dev.example.test`
            - environment `prod` in http-client.env.json: `https://api.stripe.com`"#]],
    );
    // With an environment chosen, the others do not apply.
    let doc = "//- @env dev\n//- /a.http\nGET https://x.test\nA: {{$0token}}\nB: {{password}}\n";
    check(
        &fixture(&[ENVS, doc]),
        expect![[r#"
            22..31 "{{token}}"
            **token** — variable

            - environment `dev` in http-client.env.json: `Bearer {{vault:stripe-key}}`"#]],
    );
    // Private values are masked; one that is a vault reference shows the reference.
    let doc = "//- /a.http\nGET https://x.test\nA: {{password$0}}\nB: {{apiToken}}\nC: {{mixed}}\n";
    check(
        &fixture(&[ENVS, doc]),
        expect![[r#"
            22..34 "{{password}}"
            **password** — variable

            - environment `dev` in http-client.private.env.json: ••••••"#]],
    );
    let doc = "//- /a.http\nGET https://x.test\nA: {{password}}\nB: {{apiTo$0ken}}\nC: {{mixed}}\n";
    check(
        &fixture(&[ENVS, doc]),
        expect![[r#"
            38..50 "{{apiToken}}"
            **apiToken** — variable

            - environment `dev` in http-client.private.env.json: `{{vault:db-password}}`"#]],
    );
    let doc = "//- /a.http\nGET https://x.test\nA: {{password}}\nB: {{apiToken}}\nC: {{mi$0xed}}\n";
    check(
        &fixture(&[ENVS, doc]),
        expect![[r#"
            54..63 "{{mixed}}"
            **mixed** — variable

            - environment `dev` in http-client.private.env.json: `{{vault:stripe-key}}` (the rest is masked: ••••••)"#]],
    );
}

#[test]
fn variable_kinds() {
    // Request chaining: the first segment names a request.
    check(
        "//- /a.http\n# @name login\nPOST https://x.test/login\n\n###\nGET https://x.test\nA: {{login.response.body.$$0.token}}\n",
        expect![[r#"
            67..98 "{{login.response.body.$.token}}"
            **login.response.body.$.token** — variable

            - request `login` in this file: its response, once it has been sent"#]],
    );
    check(
        "//- /a.http\nGET https://x.test\nA: {{nowhere$0}}\n",
        expect![[r#"
            22..33 "{{nowhere}}"
            **nowhere** — variable

            Not defined in this file or an environment."#]],
    );
    // Visual Studio's Key Vault entries, numbers, Postman secrets.
    check(
        r#"//- /http-client.env.json
{"dev": {"kv": {"provider": "AzureKeyVault", "secretName": "api-key", "resourceId": "/subscriptions/s/resourceGroups/g/providers/Microsoft.KeyVault/vaults/corp-kv"}, "n": 3}}
//- /a.postman_environment.json
{"name": "pm", "values": [{"key": "pmSecret", "value": "s3cr3t", "type": "secret", "enabled": true}, {"key": "pmPlain", "value": "p", "enabled": true}]}
//- /a.http
GET https://x.test
A: {{kv}} {{n}} {{pmSecret}} {{pmPlain$0}}
"#,
        expect![[r#"
            48..59 "{{pmPlain}}"
            **pmPlain** — variable

            - environment `pm` in a.postman\_environment.json: `p`"#]],
    );
    check(
        r#"//- /http-client.env.json
{"dev": {"kv": {"provider": "AzureKeyVault", "secretName": "api-key", "resourceId": "/subscriptions/s/resourceGroups/g/providers/Microsoft.KeyVault/vaults/corp-kv"}, "n": 3}}
//- /a.postman_environment.json
{"name": "pm", "values": [{"key": "pmSecret", "value": "s3cr3t", "type": "secret", "enabled": true}]}
//- /a.http
GET https://x.test
A: {{kv}} {{n$0}} {{pmSecret}}
"#,
        expect![[r#"
            29..34 "{{n}}"
            **n** — variable

            - environment `dev` in http-client.env.json: `3`"#]],
    );
    check(
        r#"//- /http-client.env.json
{"dev": {"kv": {"provider": "AzureKeyVault", "secretName": "api-key", "resourceId": "/subscriptions/s/resourceGroups/g/providers/Microsoft.KeyVault/vaults/corp-kv"}}}
//- /a.postman_environment.json
{"name": "pm", "values": [{"key": "pmSecret", "value": "s3cr3t", "type": "secret", "enabled": true}]}
//- /a.http
GET https://x.test
A: {{kv$0}} {{pmSecret}}
"#,
        expect![[r#"
            22..28 "{{kv}}"
            **kv** — variable

            - environment `dev` in http-client.env.json: Key Vault secret `api-key` in vault `corp-kv`"#]],
    );
    check(
        r#"//- /a.postman_environment.json
{"name": "pm", "values": [{"key": "pmSecret", "value": "s3cr3t", "type": "secret", "enabled": true}]}
//- /a.http
GET https://x.test
A: {{pmSecret$0}}
"#,
        expect![[r#"
            22..34 "{{pmSecret}}"
            **pmSecret** — variable

            - environment `pm` in a.postman\_environment.json: ••••••"#]],
    );
}

#[test]
fn collection_variables_and_folders() {
    check(
        r#"//- /api.postman_collection.json
{"info": {"name": "x", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
 "variable": [{"key": "base", "value": "https://c.test"}],
 "item": [{"name": "F", "variable": [{"key": "base", "value": "https://f.test"}],
   "item": [{"name": "r", "request": {"url": "{{ba$0se}}/x"}}]}]}
"#,
        expect![[r#"
            293..301 "{{base}}"
            **base** — variable

            - folder `F`: `https://f.test`
            - collection variables: `https://c.test`"#]],
    );
}

#[test]
fn dynamic_variables() {
    check(
        "//- /a.http\nGET https://x.test/{{$u$0uid}}\n",
        expect![[r#"
            19..28 "{{$uuid}}"
            **$uuid** — dynamic variable

            Produces a random UUID (v4), new for each request."#]],
    );
    check(
        "//- /a.http\nGET https://x.test/{{$made$0Up 1}}\n",
        expect![[r#"
            19..32 "{{$madeUp 1}}"
            **$madeUp** — dynamic variable

            Produces a value computed when the request is sent."#]],
    );
}

#[test]
fn env_files_and_the_links_file() {
    check(
        &fixture(&[
            LINKS,
            "//- /http-client.env.json\n{\"dev\": {\"t\": \"\\u00e9 {{vault:$0broken}}\"}}\n",
        ]),
        expect![[r#"
            22..38 "{{vault:broken}}"
            **broken** — vault secret, broken link

            The link in vaultlink.json is not usable: the link must point to a secret (`/secrets/<name>`), not `/keys`; expected https://\<vault\>.vault.azure.net/secrets/\<name\>\[/\<version\>\]

            - link: `https://corp-kv.vault.azure.net/keys/broken`"#]],
    );
    let links = LINKS.replace("\"stripe-key\":", "\"stripe$0-key\":");
    check(
        &links,
        expect![[r#"
            21..33 "\"stripe-key\""
            **stripe-key** — vault secret

            - vault: `corp-kv`
            - secret: `stripe-key`
            - version: latest
            - identifier: https://corp-kv.vault.azure.net/secrets/stripe-key
            - allowed hosts: api.stripe.com, *.stripe.com"#]],
    );
}

#[test]
fn nothing_outside_references_and_never_a_panic() {
    let fixture = fixture(&[
        LINKS,
        ENVS,
        "//- /a.http\n# {{vault:stripe-key}} in a comment$0\nGET https://x.test/é中😀\nA: {{vault:stripe-key}} {{host}}\n",
    ]);
    check(&fixture, expect!["no hover"]);
    let f = Fixture::parse(&fixture);
    for offset in awkward_offsets(f.text()) {
        let got = f.with(|doc, world| hover(doc, offset, world));
        assert_eq!(got, None, "at {offset}");
    }
    // Every offset of every kind of file gives an answer or none, without panicking.
    for doc in [
        "//- /a.http\nGET https://x.test/é{{vault:stripe-key}}😀\nA: {{$uuid}}\n",
        "//- /c.postman_collection.json\n{\"item\": [{\"name\": \"é\", \"request\": {\"url\": \"\\u00e9{{vault:k}}\"}, \"event\": [{\"script\": {\"exec\": [\"pm.vault.get(\\\"é\\\")\"]}}]}]}\n",
        "//- /http-client.env.json\n{\"dev\": {\"a\": \"😀{{vault:k}}\"}}\n",
    ] {
        let f = Fixture::parse(&[LINKS, doc].concat());
        let len = f.text().len() as u32;
        for offset in (0..=len + 2).chain(awkward_offsets(f.text())) {
            f.with(|doc, world| hover(doc, offset, world));
        }
    }
    let f = Fixture::parse(LINKS);
    for offset in awkward_offsets(f.text()) {
        f.with(|doc, world| hover(doc, offset, world));
    }
}

#[test]
fn visual_studio_provider_entries_show_where_the_value_is_never_the_value() {
    check(
        r#"//- /http-client.env.json
{"dev": {"local": {"provider": "AspnetUserSecrets", "secretName": "Api:Key"}, "sealed": {"provider": "Encrypted", "value": "AQAAANCMnd8BFdERjHoAwE"}}}
//- /a.http
GET https://x.test
A: {{local$0}}
"#,
        expect![[r#"
            22..31 "{{local}}"
            **local** — variable

            - environment `dev` in http-client.env.json: the project's user secret `Api:Key` (masked when sent)"#]],
    );
    check(
        r#"//- /http-client.env.json
{"dev": {"local": {"provider": "AspnetUserSecrets", "secretName": "Api:Key"}, "sealed": {"provider": "Encrypted", "value": "AQAAANCMnd8BFdERjHoAwE"}}}
//- /a.http
GET https://x.test
A: {{sealed$0}}
"#,
        expect![[r#"
            22..32 "{{sealed}}"
            **sealed** — variable

            - environment `dev` in http-client.env.json: encrypted with Windows DPAPI, which cannot be read on this platform"#]],
    );
}
