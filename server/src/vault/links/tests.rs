//! Tests of the links file: reading, problems and edits.

use super::edit::diff_edit;
use super::*;
use expect_test::{Expect, expect};

/// Renders every problem as `line:col severity[code] message` over the text it covers.
fn check_problems(src: &str, expect: Expect) {
    let file = parse(src);
    let index = LineIndex::new(src);
    let mut out = String::new();
    for p in &file.problems {
        let at = index.line_col(src, p.range.start, Encoding::Chars);
        out.push_str(&format!(
            "{}:{} {:?}[{}] {}\n    at `{}`\n",
            at.line + 1,
            at.col + 1,
            p.severity,
            p.code,
            p.message,
            p.range.slice(src)
        ));
    }
    expect.assert_eq(&out);
}

const EXAMPLE: &str = r#"{
  "secrets": {
    "stripe-key": {
      "link": "https://corp-kv.vault.azure.net/secrets/stripe-key",
      "allowedDomains": ["api.stripe.com", "*.stripe.com"]
    },
    "db-password": {
      "link": "https://corp-kv.vault.azure.net/secrets/db-password/4387e9f3d6e14c459867679a90fd0f79"
    }
  },
  "scripts": { "allowVaultAccess": true },
  "azure": { "tenant": "contoso.onmicrosoft.com", "clientId": "00000000-0000-0000-0000-000000000000" }
}
"#;

#[test]
fn reads_the_spec_example() {
    let file = parse(EXAMPLE);
    assert_eq!(file.problems, []);
    assert_eq!(file.secrets.len(), 2);
    let stripe = file.get("stripe-key").unwrap();
    assert_eq!(stripe.name_range.slice(EXAMPLE), "\"stripe-key\"");
    assert!(
        stripe.range.slice(EXAMPLE).starts_with("\"stripe-key\": {")
            && stripe.range.slice(EXAMPLE).ends_with('}')
    );
    assert_eq!(
        stripe.link_text,
        "https://corp-kv.vault.azure.net/secrets/stripe-key"
    );
    assert_eq!(
        stripe.link_range.unwrap().slice(EXAMPLE),
        "\"https://corp-kv.vault.azure.net/secrets/stripe-key\""
    );
    assert_eq!(stripe.secret_id().unwrap().name, "stripe-key");
    let patterns: Vec<_> = stripe
        .allowed_domains
        .iter()
        .map(|d| (d.pattern.as_str(), d.range.slice(EXAMPLE), d.valid))
        .collect();
    assert_eq!(
        patterns,
        [
            ("api.stripe.com", "\"api.stripe.com\"", true),
            ("*.stripe.com", "\"*.stripe.com\"", true)
        ]
    );
    let db = file.get("db-password").unwrap();
    assert_eq!(
        db.secret_id().unwrap().version.as_deref(),
        Some("4387e9f3d6e14c459867679a90fd0f79")
    );
    assert!(db.allowed_domains.is_empty());
    assert!(file.allow_script_access);
    assert_eq!(file.azure.tenant, "contoso.onmicrosoft.com");
    assert_eq!(
        file.azure.tenant_range.unwrap().slice(EXAMPLE),
        "\"contoso.onmicrosoft.com\""
    );
    assert_eq!(file.azure.client_id, "00000000-0000-0000-0000-000000000000");
    // Names compare exactly.
    assert!(file.get("Stripe-Key").is_none());
    assert!(file.get("stripe").is_none());
}

#[test]
fn defaults() {
    let file = parse("{}");
    assert_eq!(file.problems, []);
    assert!(file.secrets.is_empty());
    assert!(!file.allow_script_access);
    assert_eq!(file.azure, AzureSettings::default());
    assert_eq!(file.azure.tenant, "organizations");
    assert_eq!(file.azure.client_id, "04b07795-8ddb-461a-bbee-02f9e1bf7b46");
    assert_eq!(parse("{}"), LinksFile::default());
    // Comments and a byte-order mark are fine.
    let file = parse("\u{FEFF}// links\n{ /* none yet */ \"secrets\": {} }");
    assert_eq!(file.problems, []);
}

#[test]
fn additionally_allowed_tenants() {
    let file = parse(
        r#"{"azure": {"tenant": "contoso.onmicrosoft.com", "additionallyAllowedTenants": ["72f988bf-86f1-41af-91ab-2d7cd011db47", "*", "a/b"]}}"#,
    );
    assert_eq!(
        file.azure.additionally_allowed_tenants,
        ["72f988bf-86f1-41af-91ab-2d7cd011db47", "*"]
    );
    assert_eq!(file.problems.len(), 1, "{:?}", file.problems);
    assert!(file.problems[0].message.contains("not \"a/b\""));
    let file = parse(r#"{"azure": {"additionallyAllowedTenants": "*"}}"#);
    assert!(file.azure.additionally_allowed_tenants.is_empty());
    assert!(file.problems[0].message.contains("must be an array"));
}

#[test]
fn json_errors_and_wrong_shapes() {
    check_problems(
        "",
        expect![[r#"
            1:1 Error[syntax] the file is empty: expected a JSON value
                at ``
        "#]],
    );
    check_problems(
        "[1]",
        expect![[r#"
            1:1 Error[syntax] the links file must be a JSON object with a `secrets` object, not an array
                at `[1]`
        "#]],
    );
    check_problems(
        r#"{"secrets": {"a": {"link": "https://corp-kv.vault.azure.net/secrets/a",}, "b": {"link": tru}}}"#,
        expect![[r#"
                1:71 Error[syntax] trailing comma
                    at `,`
                1:89 Error[syntax] expected a value: a string, number, object, array, true, false or null
                    at `tru`
            "#]],
    );
    check_problems(
        r#"{"secrets": ["a"]}"#,
        expect![[r#"
            1:13 Error[syntax] `secrets` must be an object of links, like {"stripe-key": {"link": "https://…"}}, not an array
                at `["a"]`
        "#]],
    );
    check_problems(
        r#"{
  "secrets": {
    "a": "https://corp-kv.vault.azure.net/secrets/a",
    "b": {},
    "c": { "link": 42 },
    "d": { "link": null, "allowedDomain": ["x.com"] }
  },
  "scripts": { "allowVaultAccess": "yes", "other": 1 },
  "azure": { "tenant": "contoso/../evil?", "clientId": "not-a-guid", "secret": "x" },
  "$schema": "https://example.com/schema.json",
  "secret": {}
}"#,
        expect![[r#"
                3:10 Error[syntax] `a` must be an object with a `link`, like {"link": "https://…"}, not a string
                    at `"https://corp-kv.vault.azure.net/secrets/a"`
                4:5 Error[invalid-link] `b` has no `link`; add "link": "https://<vault>.vault.azure.net/secrets/<name>[/<version>]"
                    at `"b"`
                5:20 Error[invalid-link] the link of `c` must be a string, https://<vault>.vault.azure.net/secrets/<name>[/<version>], not a number
                    at `42`
                6:20 Error[invalid-link] the link of `d` must be a string, https://<vault>.vault.azure.net/secrets/<name>[/<version>], not null
                    at `null`
                6:26 Warning[syntax] unknown key `allowedDomain`; expected link or allowedDomains
                    at `"allowedDomain"`
                8:36 Error[syntax] `scripts.allowVaultAccess` must be true or false, not a string
                    at `"yes"`
                8:43 Warning[syntax] unknown key `other`; expected allowVaultAccess
                    at `"other"`
                9:24 Error[syntax] `azure.tenant` must be a tenant id or domain, like "contoso.onmicrosoft.com", not "contoso/../evil?"
                    at `"contoso/../evil?"`
                9:56 Error[syntax] `azure.clientId` must be an application (client) id, like "00000000-0000-0000-0000-000000000000", not "not-a-guid"
                    at `"not-a-guid"`
                9:70 Warning[syntax] unknown key `secret`; expected tenant, clientId or additionallyAllowedTenants
                    at `"secret"`
                11:3 Warning[syntax] unknown key `secret`; expected secrets, scripts or azure
                    at `"secret"`
            "#]],
    );
    let file = parse(r#"{"scripts": {"allowVaultAccess": 1}, "azure": {"tenant": 7}}"#);
    assert!(!file.allow_script_access);
    assert_eq!(file.azure, AzureSettings::default());
}

#[test]
fn invalid_and_untrusted_links() {
    check_problems(
        r#"{"secrets": {
  "stripe-key": {"link": "https://evil.example.com/secrets/stripe-key"},
  "old": {"link": "http://corp-kv.vault.azure.net/secrets/old"},
  "short": {"link": "https://a.vault.azure.net/secrets/x"},
  "pinned": {"link": "https://corp-kv.vault.azure.net/secrets/p/123"},
  "escaped": {"link": "https:\/\/corp-kv.vault.azure.net\/secrets\/ok"}
}}"#,
        expect![[r#"
                2:26 Error[untrusted-host] the link of `stripe-key` is not a Key Vault secret identifier: `evil.example.com` is not an Azure Key Vault host: the host must be <vault>.vault.azure.net, <vault>.vault.azure.cn or <vault>.vault.usgovcloudapi.net; expected https://<vault>.vault.azure.net/secrets/<name>[/<version>]
                    at `"https://evil.example.com/secrets/stripe-key"`
                3:19 Error[invalid-link] the link of `old` is not a Key Vault secret identifier: the link must use https, not http; expected https://<vault>.vault.azure.net/secrets/<name>[/<version>]
                    at `"http://corp-kv.vault.azure.net/secrets/old"`
                4:21 Error[invalid-link] the link of `short` is not a Key Vault secret identifier: the vault name `a` must be 3–24 characters; expected https://<vault>.vault.azure.net/secrets/<name>[/<version>]
                    at `"https://a.vault.azure.net/secrets/x"`
                5:22 Error[invalid-link] the link of `pinned` is not a Key Vault secret identifier: the version `123` must be 32 hexadecimal digits (or leave it out for the latest version); expected https://<vault>.vault.azure.net/secrets/<name>[/<version>]
                    at `"https://corp-kv.vault.azure.net/secrets/p/123"`
            "#]],
    );
    let src = r#"{"secrets": {"x": {"link": "https://evil.example.com/secrets/x"}}}"#;
    let file = parse(src);
    let x = file.get("x").unwrap();
    assert_eq!(
        x.link,
        Some(Err(IdError::Untrusted {
            host: "evil.example.com".into()
        }))
    );
    assert!(x.secret_id().is_none());
    let escaped =
        parse(r#"{"secrets": {"e": {"link": "https:\/\/corp-kv.vault.azure.net\/secrets\/ok"}}}"#);
    assert_eq!(
        escaped.get("e").unwrap().link_text,
        "https://corp-kv.vault.azure.net/secrets/ok"
    );
}

#[test]
fn names_and_duplicates() {
    let src = r#"{
  "secrets": {
    "api": {"link": "https://corp-kv.vault.azure.net/secrets/one"},
    "my key": {"link": "https://corp-kv.vault.azure.net/secrets/k"},
    "": {"link": "https://corp-kv.vault.azure.net/secrets/k"},
    "api": {"link": "https://corp-kv.vault.azure.net/secrets/two", "link": "https://corp-kv.vault.azure.net/secrets/three"}
  }
}"#;
    check_problems(
        src,
        expect![[r#"
            3:5 Warning[syntax] `api` is defined more than once: only the last definition counts
                at `"api"`
            4:5 Warning[syntax] `my key` cannot be referenced as {{vault:my key}}: a name takes 1–256 letters, digits, `_`, `-` and `.`
                at `"my key"`
            5:5 Warning[syntax] `` cannot be referenced as {{vault:}}: a name takes 1–256 letters, digits, `_`, `-` and `.`
                at `""`
            6:13 Warning[syntax] duplicate key `link`: only the last one counts
                at `"link"`
        "#]],
    );
    assert_eq!(
        parse(src).get("api").unwrap().secret_id().unwrap().name,
        "three"
    );
    // Of two `secrets`, the last counts.
    let src = r#"{"secrets": {"a": {"link": 1}}, "secrets": {}}"#;
    check_problems(
        src,
        expect![[r#"
            1:2 Warning[syntax] duplicate key `secrets`: only the last one counts
                at `"secrets"`
        "#]],
    );
    assert!(parse(src).secrets.is_empty());
    let src = r#"{"secrets": {
  "api": {"link": "https://corp-kv.vault.azure.net/secrets/one"},
  "api": {"link": "https://corp-kv.vault.azure.net/secrets/two"},
  "caf\u00e9": {"link": "https://corp-kv.vault.azure.net/secrets/cafe"}
}}"#;
    let file = parse(src);
    assert_eq!(file.secrets.len(), 3);
    assert_eq!(file.get("api").unwrap().secret_id().unwrap().name, "two");
    assert_eq!(
        file.get("café").unwrap().name_range.slice(src),
        r#""caf\u00e9""#
    );
}

#[test]
fn allowed_domains_problems_fail_closed() {
    let src = r#"{"secrets": {
  "a": {"link": "https://corp-kv.vault.azure.net/secrets/a", "allowedDomains": ["https://api.x.com", "", "a b.com", "api.x.com:443", "x.*.com", "*", "API.Example.COM.", 7, "bücher.de", "*.x.com"]},
  "b": {"link": "https://corp-kv.vault.azure.net/secrets/b", "allowedDomains": "api.x.com"},
  "c": {"link": "https://corp-kv.vault.azure.net/secrets/c", "allowedDomains": null},
  "d": {"link": "https://corp-kv.vault.azure.net/secrets/d", "allowedDomains": []}
}}"#;
    check_problems(
        src,
        expect![[r#"
            2:81 Error[syntax] in `allowedDomains` of `a`: `https://api.x.com` is not a host name: write the host alone, like `api.example.com`, without scheme, port or path
                at `"https://api.x.com"`
            2:102 Error[syntax] in `allowedDomains` of `a`: an allowed domain is empty
                at `""`
            2:106 Error[syntax] in `allowedDomains` of `a`: `a b.com` contains spaces
                at `"a b.com"`
            2:117 Error[syntax] in `allowedDomains` of `a`: `api.x.com:443` is not a host name: write the host alone, like `api.example.com`, without scheme, port or path
                at `"api.x.com:443"`
            2:134 Error[syntax] in `allowedDomains` of `a`: `x.*.com`: `*` may only start a pattern, as in `*.example.com`
                at `"x.*.com"`
            2:145 Error[syntax] in `allowedDomains` of `a`: `*` alone is not a domain: leave `allowedDomains` out to allow any host
                at `"*"`
            2:170 Error[syntax] `allowedDomains` of `a` takes host names as strings, not a number
                at `7`
            2:173 Error[syntax] in `allowedDomains` of `a`: `bücher.de`: write an international host name in its xn-- form
                at `"bücher.de"`
            3:80 Error[syntax] `allowedDomains` of `b` must be an array: write ["api.x.com"]
                at `"api.x.com"`
            4:80 Error[syntax] `allowedDomains` of `c` must be an array of host names, like ["api.example.com", "*.example.com"], not null
                at `null`
        "#]],
    );
    let file = parse(src);
    let a = file.get("a").unwrap();
    let valid: Vec<&str> = a
        .allowed_domains
        .iter()
        .filter(|d| d.valid)
        .map(|d| d.pattern.as_str())
        .collect();
    assert_eq!(valid, ["api.example.com", "*.x.com"]);
    assert!(a.allows_host("api.example.com"));
    assert!(a.allows_host("v1.x.com"));
    assert!(!a.allows_host("api.x.com:443") || a.allows_host("x.x.com"));
    assert!(!a.allows_host("x.com"));
    // A string instead of an array still restricts, to that host.
    let b = file.get("b").unwrap();
    assert!(b.allows_host("api.x.com") && !b.allows_host("evil.com"));
    // Something that is not a list at all restricts to nothing.
    let c = file.get("c").unwrap();
    assert!(!c.allows_host("api.x.com") && !c.allows_host("evil.com"));
    // An empty list allows any host.
    assert!(file.get("d").unwrap().allows_host("anything.example"));
}

#[test]
fn allows_host() {
    let src = r#"{"secrets": {"s": {"link": "https://corp-kv.vault.azure.net/secrets/s", "allowedDomains": ["api.stripe.com", "*.Stripe.com", "localhost", "10.0.0.1"]}}}"#;
    let file = parse(src);
    assert_eq!(file.problems, []);
    let s = file.get("s").unwrap();
    let allowed = [
        "api.stripe.com",
        "API.STRIPE.COM",
        "api.stripe.com.",
        "api.stripe.com:443",
        "api.stripe.com.:8443",
        "files.stripe.com",
        "a.b.stripe.com",
        "localhost:8080",
        "10.0.0.1",
    ];
    let refused = [
        "stripe.com",
        "stripe.com.",
        "evilstripe.com",
        "api.stripe.com.evil.com",
        "api.stripe.co",
        "",
        ":443",
        "[::1]",
        "[::1]:443",
        "10.0.0.10",
        "api.stripe.com@evil.com",
        "evil.com#.stripe.com",
        "evil.com/.stripe.com",
        "evil.com?.stripe.com",
    ];
    for h in allowed {
        assert!(s.allows_host(h), "{h}");
    }
    for h in refused {
        assert!(!s.allows_host(h), "{h}");
    }
    let open =
        parse(r#"{"secrets": {"s": {"link": "https://corp-kv.vault.azure.net/secrets/s"}}}"#);
    assert!(open.get("s").unwrap().allows_host("anything.example:1"));
}

#[test]
fn never_panics() {
    let inputs = [
        "{",
        "}",
        "{\"secrets\"",
        "{\"secrets\":",
        "{\"secrets\": {\"a\"",
        "{\"secrets\": {\"a\": {\"link\"",
        "{\"secrets\": {\"a\": {\"allowedDomains\": [",
        "\"x\"",
        "null",
        "{\"azure\": [] }",
        "\u{FEFF}",
        "{\"secrets\": {\"\\ud800\": {}}}",
    ];
    for src in inputs {
        let file = parse(src);
        for p in &file.problems {
            assert!(p.range.end as usize <= src.len(), "{src:?}: {p:?}");
        }
        let _ = set_link_edits(src, "a", "https://corp-kv.vault.azure.net/secrets/a", &[]);
        let _ = remove_link_edits(src, "a");
    }
}

// -----------------------------------------------------------------------------------------
// Edits

const ID: &str = "https://corp-kv.vault.azure.net/secrets/new-key";

fn domains(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// Shows line endings, so that CRLF output can be snapshotted.
fn show(text: &str) -> String {
    text.replace("\r\n", "␍\n")
}

/// The edit of a valid file gives a valid file; in a file with problems, the edit adds
/// none (it may fix some).
fn assert_no_new_problems(before: &str, after: &str) {
    let old: Vec<String> = parse(before)
        .problems
        .into_iter()
        .map(|p| p.message)
        .collect();
    let new: Vec<String> = parse(after)
        .problems
        .into_iter()
        .map(|p| p.message)
        .collect();
    assert!(
        new.iter().all(|m| old.contains(m)),
        "new problems {new:?}\nin\n{after}"
    );
}

/// Applies `set_link_edits`, checks the result reads back without problems and with the
/// link, and snapshots it.
fn check_set(src: &str, name: &str, identifier: &str, list: &[&str], expect: Expect) {
    let edits = set_link_edits(src, name, identifier, &domains(list)).unwrap();
    let out = apply_edits(src, &edits);
    let file = parse(&out);
    assert_no_new_problems(src, &out);
    let link = file
        .get(name)
        .unwrap_or_else(|| panic!("no `{name}` in\n{out}"));
    assert_eq!(link.link_text, identifier);
    if !list.is_empty() {
        let patterns: Vec<&str> = link
            .allowed_domains
            .iter()
            .map(|d| d.pattern.as_str())
            .collect();
        assert_eq!(patterns, list);
    }
    // Setting the same link again changes nothing.
    assert_eq!(
        set_link_edits(&out, name, identifier, &domains(list)),
        Ok(vec![]),
        "{out}"
    );
    expect.assert_eq(&show(&out));
}

/// Applies `remove_link_edits`, checks the result reads back without problems and
/// without the link, and snapshots it.
fn check_remove(src: &str, name: &str, expect: Expect) {
    let before = parse(src);
    let edits = remove_link_edits(src, name).unwrap();
    let out = apply_edits(src, &edits);
    let file = parse(&out);
    assert_no_new_problems(src, &out);
    assert!(file.get(name).is_none(), "{out}");
    let left: Vec<&str> = file.secrets.iter().map(|s| s.name.as_str()).collect();
    let expected: Vec<&str> = before
        .secrets
        .iter()
        .map(|s| s.name.as_str())
        .filter(|n| *n != name)
        .collect();
    assert_eq!(left, expected);
    assert_eq!(
        remove_link_edits(&out, name),
        Err(EditError::NotFound(name.to_owned()))
    );
    expect.assert_eq(&show(&out));
}

const TWO_SPACES: &str = r#"{
  "secrets": {
    "stripe-key": {
      "link": "https://corp-kv.vault.azure.net/secrets/stripe-key",
      "allowedDomains": ["api.stripe.com"]
    }
  }
}
"#;

#[test]
fn add_to_two_space_file() {
    check_set(
        TWO_SPACES,
        "new-key",
        ID,
        &[],
        expect![[r#"
            {
              "secrets": {
                "stripe-key": {
                  "link": "https://corp-kv.vault.azure.net/secrets/stripe-key",
                  "allowedDomains": ["api.stripe.com"]
                },
                "new-key": {
                  "link": "https://corp-kv.vault.azure.net/secrets/new-key"
                }
              }
            }
        "#]],
    );
}

#[test]
fn add_to_four_space_file() {
    let src = TWO_SPACES.replace("  ", "    ");
    check_set(
        &src,
        "new-key",
        ID,
        &["api.example.com", "*.example.com"],
        expect![[r#"
            {
                "secrets": {
                    "stripe-key": {
                        "link": "https://corp-kv.vault.azure.net/secrets/stripe-key",
                        "allowedDomains": ["api.stripe.com"]
                    },
                    "new-key": {
                        "link": "https://corp-kv.vault.azure.net/secrets/new-key",
                        "allowedDomains": ["api.example.com", "*.example.com"]
                    }
                }
            }
        "#]],
    );
}

#[test]
fn add_to_tab_file() {
    let src = TWO_SPACES.replace("  ", "\t");
    let out = apply_edits(&src, &set_link_edits(&src, "new-key", ID, &[]).unwrap());
    assert!(out.lines().all(|l| !l.starts_with(' ')), "{out}");
    check_set(
        &src,
        "new-key",
        ID,
        &[],
        expect![[r#"
            {
            	"secrets": {
            		"stripe-key": {
            			"link": "https://corp-kv.vault.azure.net/secrets/stripe-key",
            			"allowedDomains": ["api.stripe.com"]
            		},
            		"new-key": {
            			"link": "https://corp-kv.vault.azure.net/secrets/new-key"
            		}
            	}
            }
        "#]],
    );
}

#[test]
fn add_to_crlf_file() {
    let src = TWO_SPACES.replace('\n', "\r\n");
    let out = apply_edits(&src, &set_link_edits(&src, "new-key", ID, &[]).unwrap());
    assert!(!out.replace("\r\n", "").contains('\n'), "{out:?}");
    check_set(
        &src,
        "new-key",
        ID,
        &[],
        expect![[r#"
            {␍
              "secrets": {␍
                "stripe-key": {␍
                  "link": "https://corp-kv.vault.azure.net/secrets/stripe-key",␍
                  "allowedDomains": ["api.stripe.com"]␍
                },␍
                "new-key": {␍
                  "link": "https://corp-kv.vault.azure.net/secrets/new-key"␍
                }␍
              }␍
            }␍
        "#]],
    );
}

#[test]
fn add_to_empty_objects() {
    check_set(
        "{}\n",
        "new-key",
        ID,
        &[],
        expect![[r#"
            {
              "secrets": {
                "new-key": {
                  "link": "https://corp-kv.vault.azure.net/secrets/new-key"
                }
              }
            }
        "#]],
    );
    check_set(
        "{\n    \"secrets\": {}\n}",
        "new-key",
        ID,
        &[],
        expect![[r#"
            {
                "secrets": {
                    "new-key": {
                        "link": "https://corp-kv.vault.azure.net/secrets/new-key"
                    }
                }
            }"#]],
    );
    check_set(
        "{\n  \"secrets\": {\n  }\n}\n",
        "new-key",
        ID,
        &[],
        expect![[r#"
            {
              "secrets": {
                "new-key": {
                  "link": "https://corp-kv.vault.azure.net/secrets/new-key"
                }
              }
            }
        "#]],
    );
    // Comments inside the empty object stay.
    check_set(
        "{\n  \"secrets\": { // none yet\n  }\n}\n",
        "new-key",
        ID,
        &[],
        expect![[r#"
            {
              "secrets": { // none yet
                "new-key": {
                  "link": "https://corp-kv.vault.azure.net/secrets/new-key"
                }
              }
            }
        "#]],
    );
    check_set(
        "{\"secrets\": {/* none */}}",
        "new-key",
        ID,
        &[],
        expect![[r#"
            {"secrets": {/* none */
              "new-key": {
                "link": "https://corp-kv.vault.azure.net/secrets/new-key"
              }
            }}"#]],
    );
}

#[test]
fn new_files() {
    for blank in ["", "  \n", "\r\n"] {
        check_set(
            blank,
            "new-key",
            ID,
            &["api.example.com"],
            expect![[r#"
                {
                  "secrets": {
                    "new-key": {
                      "link": "https://corp-kv.vault.azure.net/secrets/new-key",
                      "allowedDomains": ["api.example.com"]
                    }
                  }
                }
            "#]],
        );
    }
    assert_eq!(
        new_file("a", ID, &[]),
        apply_edits("", &set_link_edits("", "a", ID, &[]).unwrap())
    );
    // A file of comments only keeps them.
    check_set(
        "// vault links for the payments API",
        "new-key",
        ID,
        &[],
        expect![[r#"
            // vault links for the payments API
            {
              "secrets": {
                "new-key": {
                  "link": "https://corp-kv.vault.azure.net/secrets/new-key"
                }
              }
            }
        "#]],
    );
}

#[test]
fn creates_secrets_among_other_keys() {
    check_set(
        "{\n    \"scripts\": { \"allowVaultAccess\": false }\n}\n",
        "new-key",
        ID,
        &[],
        expect![[r#"
                {
                    "scripts": { "allowVaultAccess": false },
                    "secrets": {
                        "new-key": {
                            "link": "https://corp-kv.vault.azure.net/secrets/new-key"
                        }
                    }
                }
            "#]],
    );
    check_set(
        r#"{
  "$schema": "./vaultlink.schema.json",
  "secrets": {
    "a": { "link": "https://corp-kv.vault.azure.net/secrets/a" },
    "b": { "link": "https://corp-kv.vault.azure.net/secrets/b" }
  },
  "azure": { "tenant": "contoso.onmicrosoft.com" }
}
"#,
        "new-key",
        ID,
        &[],
        expect![[r#"
                {
                  "$schema": "./vaultlink.schema.json",
                  "secrets": {
                    "a": { "link": "https://corp-kv.vault.azure.net/secrets/a" },
                    "b": { "link": "https://corp-kv.vault.azure.net/secrets/b" },
                    "new-key": { "link": "https://corp-kv.vault.azure.net/secrets/new-key" }
                  },
                  "azure": { "tenant": "contoso.onmicrosoft.com" }
                }
            "#]],
    );
}

#[test]
fn one_line_files_stay_on_one_line() {
    check_set(
        r#"{"secrets":{"a":{"link":"https://corp-kv.vault.azure.net/secrets/a"}}}"#,
        "new-key",
        ID,
        &["api.example.com"],
        expect![[
            r#"{"secrets":{"a":{"link":"https://corp-kv.vault.azure.net/secrets/a"}, "new-key":{"link":"https://corp-kv.vault.azure.net/secrets/new-key", "allowedDomains":["api.example.com"]}}}"#
        ]],
    );
}

#[test]
fn replace_keeps_position_and_other_keys() {
    let src = r#"{
  "secrets": {
    "stripe-key": {
      "allowedDomains": ["api.stripe.com"],
      "link": "https://corp-kv.vault.azure.net/secrets/stripe-key"
    },
    "other": { "link": "https://corp-kv.vault.azure.net/secrets/other" }
  }
}
"#;
    let edits = set_link_edits(src, "stripe-key", ID, &[]).unwrap();
    assert_eq!(edits.len(), 1);
    assert_eq!(
        edits[0].range.slice(src),
        "\"https://corp-kv.vault.azure.net/secrets/stripe-key\""
    );
    check_set(
        src,
        "stripe-key",
        ID,
        &[],
        expect![[r#"
            {
              "secrets": {
                "stripe-key": {
                  "allowedDomains": ["api.stripe.com"],
                  "link": "https://corp-kv.vault.azure.net/secrets/new-key"
                },
                "other": { "link": "https://corp-kv.vault.azure.net/secrets/other" }
              }
            }
        "#]],
    );
    // With domains, they replace the list.
    check_set(
        src,
        "stripe-key",
        ID,
        &["*.stripe.com"],
        expect![[r#"
            {
              "secrets": {
                "stripe-key": {
                  "allowedDomains": ["*.stripe.com"],
                  "link": "https://corp-kv.vault.azure.net/secrets/new-key"
                },
                "other": { "link": "https://corp-kv.vault.azure.net/secrets/other" }
              }
            }
        "#]],
    );
    // Domains are added to an entry that has none, in its one-line layout.
    check_set(
        src,
        "other",
        ID,
        &["api.example.com"],
        expect![[r#"
            {
              "secrets": {
                "stripe-key": {
                  "allowedDomains": ["api.stripe.com"],
                  "link": "https://corp-kv.vault.azure.net/secrets/stripe-key"
                },
                "other": { "link": "https://corp-kv.vault.azure.net/secrets/new-key", "allowedDomains": ["api.example.com"] }
              }
            }
        "#]],
    );
}

#[test]
fn repair_broken_entries() {
    // An entry without a link gets one; an entry that is not an object becomes one.
    check_set(
        "{\n  \"secrets\": {\n    \"a\": {\n      \"allowedDomains\": [\"x.com\"] // prod only\n    },\n    \"b\": \"https://corp-kv.vault.azure.net/secrets/b\",\n    \"c\": {}\n  }\n}\n",
        "a",
        ID,
        &[],
        expect![[r#"
                {
                  "secrets": {
                    "a": {
                      "allowedDomains": ["x.com"], // prod only
                      "link": "https://corp-kv.vault.azure.net/secrets/new-key"
                    },
                    "b": "https://corp-kv.vault.azure.net/secrets/b",
                    "c": {}
                  }
                }
            "#]],
    );
    let src = "{\n  \"secrets\": {\n    \"b\": \"https://corp-kv.vault.azure.net/secrets/b\",\n    \"c\": {}\n  }\n}\n";
    check_set(
        src,
        "b",
        ID,
        &[],
        expect![[r#"
            {
              "secrets": {
                "b": {
                  "link": "https://corp-kv.vault.azure.net/secrets/new-key"
                },
                "c": {}
              }
            }
        "#]],
    );
    check_set(
        src,
        "c",
        ID,
        &[],
        expect![[r#"
            {
              "secrets": {
                "b": "https://corp-kv.vault.azure.net/secrets/b",
                "c": {
                  "link": "https://corp-kv.vault.azure.net/secrets/new-key"
                }
              }
            }
        "#]],
    );
}

#[test]
fn names_are_escaped() {
    let name = "we\"ird\\na\u{1}me";
    let edits = set_link_edits(TWO_SPACES, name, ID, &[]).unwrap();
    let out = apply_edits(TWO_SPACES, &edits);
    let file = parse(&out);
    // The only problem: such a name cannot be written in a reference.
    assert_eq!(file.problems.len(), 1, "{:?}", file.problems);
    assert!(file.problems[0].message.contains("cannot be referenced"));
    assert_eq!(file.get(name).unwrap().link_text, ID);
    let odd_id = "https://corp-kv.vault.azure.net/secrets/a\"b";
    let out2 = apply_edits(&out, &set_link_edits(&out, name, odd_id, &[]).unwrap());
    assert_eq!(parse(&out2).get(name).unwrap().link_text, odd_id);
    expect![[r#"
            {
              "secrets": {
                "stripe-key": {
                  "link": "https://corp-kv.vault.azure.net/secrets/stripe-key",
                  "allowedDomains": ["api.stripe.com"]
                },
                "we\"ird\\na\u0001me": {
                  "link": "https://corp-kv.vault.azure.net/secrets/new-key"
                }
              }
            }
        "#]]
    .assert_eq(&out);
    let removed = apply_edits(&out, &remove_link_edits(&out, name).unwrap());
    assert_eq!(removed, TWO_SPACES);
    // Non-ASCII names are written as they are, and found through escapes.
    let src = "{\"secrets\": {\"caf\\u00e9\": {\"link\": \"https://corp-kv.vault.azure.net/secrets/a\"}}}";
    let out = apply_edits(src, &set_link_edits(src, "café", ID, &[]).unwrap());
    assert_eq!(
        out,
        format!("{{\"secrets\": {{\"caf\\u00e9\": {{\"link\": \"{ID}\"}}}}}}")
    );
}

#[test]
fn comments_are_kept() {
    let src = r#"// Links for the payments API. Values live in Key Vault.
{
  /* secrets by reference name */
  "secrets": {
    // Stripe, live mode
    "stripe-key": {
      "link": "https://corp-kv.vault.azure.net/secrets/stripe-key" // rotated monthly
    }, // keep first
    "db-password": { "link": "https://corp-kv.vault.azure.net/secrets/db-password" } // staging
  }
}
"#;
    check_set(
        src,
        "new-key",
        ID,
        &[],
        expect![[r#"
            // Links for the payments API. Values live in Key Vault.
            {
              /* secrets by reference name */
              "secrets": {
                // Stripe, live mode
                "stripe-key": {
                  "link": "https://corp-kv.vault.azure.net/secrets/stripe-key" // rotated monthly
                }, // keep first
                "db-password": { "link": "https://corp-kv.vault.azure.net/secrets/db-password" }, // staging
                "new-key": { "link": "https://corp-kv.vault.azure.net/secrets/new-key" }
              }
            }
        "#]],
    );
    check_set(
        src,
        "stripe-key",
        ID,
        &[],
        expect![[r#"
            // Links for the payments API. Values live in Key Vault.
            {
              /* secrets by reference name */
              "secrets": {
                // Stripe, live mode
                "stripe-key": {
                  "link": "https://corp-kv.vault.azure.net/secrets/new-key" // rotated monthly
                }, // keep first
                "db-password": { "link": "https://corp-kv.vault.azure.net/secrets/db-password" } // staging
              }
            }
        "#]],
    );
    check_remove(
        src,
        "db-password",
        expect![[r#"
            // Links for the payments API. Values live in Key Vault.
            {
              /* secrets by reference name */
              "secrets": {
                // Stripe, live mode
                "stripe-key": {
                  "link": "https://corp-kv.vault.azure.net/secrets/stripe-key" // rotated monthly
                } // keep first
              }
            }
        "#]],
    );
    check_remove(
        src,
        "stripe-key",
        expect![[r#"
            // Links for the payments API. Values live in Key Vault.
            {
              /* secrets by reference name */
              "secrets": {
                // Stripe, live mode
                "db-password": { "link": "https://corp-kv.vault.azure.net/secrets/db-password" } // staging
              }
            }
        "#]],
    );
}

const THREE: &str = r#"{
  "secrets": {
    "first": {
      "link": "https://corp-kv.vault.azure.net/secrets/first"
    },
    "middle": { "link": "https://corp-kv.vault.azure.net/secrets/middle" },
    "last": {
      "link": "https://corp-kv.vault.azure.net/secrets/last",
      "allowedDomains": ["api.example.com"]
    }
  },
  "scripts": { "allowVaultAccess": false }
}
"#;

#[test]
fn remove_first_middle_last() {
    check_remove(
        THREE,
        "first",
        expect![[r#"
            {
              "secrets": {
                "middle": { "link": "https://corp-kv.vault.azure.net/secrets/middle" },
                "last": {
                  "link": "https://corp-kv.vault.azure.net/secrets/last",
                  "allowedDomains": ["api.example.com"]
                }
              },
              "scripts": { "allowVaultAccess": false }
            }
        "#]],
    );
    check_remove(
        THREE,
        "middle",
        expect![[r#"
            {
              "secrets": {
                "first": {
                  "link": "https://corp-kv.vault.azure.net/secrets/first"
                },
                "last": {
                  "link": "https://corp-kv.vault.azure.net/secrets/last",
                  "allowedDomains": ["api.example.com"]
                }
              },
              "scripts": { "allowVaultAccess": false }
            }
        "#]],
    );
    check_remove(
        THREE,
        "last",
        expect![[r#"
            {
              "secrets": {
                "first": {
                  "link": "https://corp-kv.vault.azure.net/secrets/first"
                },
                "middle": { "link": "https://corp-kv.vault.azure.net/secrets/middle" }
              },
              "scripts": { "allowVaultAccess": false }
            }
        "#]],
    );
    let crlf = THREE.replace('\n', "\r\n");
    check_remove(
        &crlf,
        "last",
        expect![[r#"
            {␍
              "secrets": {␍
                "first": {␍
                  "link": "https://corp-kv.vault.azure.net/secrets/first"␍
                },␍
                "middle": { "link": "https://corp-kv.vault.azure.net/secrets/middle" }␍
              },␍
              "scripts": { "allowVaultAccess": false }␍
            }␍
        "#]],
    );
}

#[test]
fn remove_only_entry() {
    check_remove(
        TWO_SPACES,
        "stripe-key",
        expect![[r#"
            {
              "secrets": {}
            }
        "#]],
    );
    check_remove(
        "{\n  \"secrets\": {\n    // the only one\n    \"a\": {\"link\": \"https://corp-kv.vault.azure.net/secrets/a\"}\n  }\n}\n",
        "a",
        expect![[r#"
                {
                  "secrets": {
                    // the only one
                  }
                }
            "#]],
    );
}

#[test]
fn remove_on_one_line() {
    let src = r#"{"secrets": {"a": {"link": "https://corp-kv.vault.azure.net/secrets/a"}, "b": {"link": "https://corp-kv.vault.azure.net/secrets/b"}, "c": {"link": "https://corp-kv.vault.azure.net/secrets/c"}}}"#;
    check_remove(
        src,
        "a",
        expect![[
            r#"{"secrets": {"b": {"link": "https://corp-kv.vault.azure.net/secrets/b"}, "c": {"link": "https://corp-kv.vault.azure.net/secrets/c"}}}"#
        ]],
    );
    check_remove(
        src,
        "b",
        expect![[
            r#"{"secrets": {"a": {"link": "https://corp-kv.vault.azure.net/secrets/a"}, "c": {"link": "https://corp-kv.vault.azure.net/secrets/c"}}}"#
        ]],
    );
    check_remove(
        src,
        "c",
        expect![[
            r#"{"secrets": {"a": {"link": "https://corp-kv.vault.azure.net/secrets/a"}, "b": {"link": "https://corp-kv.vault.azure.net/secrets/b"}}}"#
        ]],
    );
    check_remove(
        r#"{"secrets": {"a": {}}}"#,
        "a",
        expect![[r#"{"secrets": {}}"#]],
    );
}

#[test]
fn remove_duplicates_and_comma_first() {
    check_remove(
        "{\n  \"secrets\": {\n    \"a\": {},\n    \"b\": {},\n    \"a\": {}\n  }\n}\n",
        "a",
        expect![[r#"
                {
                  "secrets": {
                    "b": {}
                  }
                }
            "#]],
    );
    check_remove(
        "{\n  \"secrets\": {\n    \"a\": {}\n    , \"b\": {}\n    , \"c\": {}\n  }\n}\n",
        "b",
        expect![[r#"
                {
                  "secrets": {
                    "a": {}
                    , "c": {}
                  }
                }
            "#]],
    );
}

#[test]
fn set_then_remove_round_trips() {
    let comments = "{\n  \"secrets\": {\n    \"a\": {} // first\n  } // end\n}\n";
    let sources = [
        TWO_SPACES.to_owned(),
        TWO_SPACES.replace("  ", "    "),
        TWO_SPACES.replace("  ", "\t"),
        TWO_SPACES.replace('\n', "\r\n"),
        THREE.to_owned(),
        THREE.replace('\n', "\r\n"),
        comments.to_owned(),
        r#"{"secrets": {"a": {"link": "https://corp-kv.vault.azure.net/secrets/a"}}}"#.to_owned(),
        "{\n  \"secrets\": {\"a\": {}}\n}".to_owned(),
    ];
    for src in sources {
        let domains = domains(&["api.example.com"]);
        let added = apply_edits(
            &src,
            &set_link_edits(&src, "new-key", ID, &domains).unwrap(),
        );
        assert_no_new_problems(&src, &added);
        let removed = apply_edits(&added, &remove_link_edits(&added, "new-key").unwrap());
        assert_eq!(removed, src, "after adding:\n{added}");
    }
}

#[test]
fn edit_errors() {
    let broken = "{\n  \"secrets\": {\n    \"a\": {\"link\": \"x\",}\n  }\n}";
    let err = set_link_edits(broken, "a", ID, &[]).unwrap_err();
    expect![[r#"Malformed("vaultlink.json cannot be edited: trailing comma at line 3, column 22; fix the file first")"#]]
        .assert_eq(&format!("{err:?}"));
    assert!(matches!(
        remove_link_edits(broken, "a"),
        Err(EditError::Malformed(_))
    ));
    let err = set_link_edits("[]", "a", ID, &[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "vaultlink.json cannot be edited: the file is not a JSON object at line 1, column 1; fix the file first"
    );
    let err = set_link_edits("{\"secrets\": []}", "a", ID, &[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "vaultlink.json cannot be edited: `secrets` is not an object at line 1, column 13; fix the file first"
    );
    assert_eq!(
        remove_link_edits(TWO_SPACES, "nope"),
        Err(EditError::NotFound("nope".into()))
    );
    assert_eq!(
        remove_link_edits("{}", "nope"),
        Err(EditError::NotFound("nope".into()))
    );
    assert_eq!(
        remove_link_edits("", "nope"),
        Err(EditError::NotFound("nope".into()))
    );
    assert_eq!(
        EditError::NotFound("nope".into()).to_string(),
        "vaultlink.json has no link named `nope`"
    );
    let err = set_link_edits("// links\n/* unterminated", "a", ID, &[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "vaultlink.json cannot be edited: unterminated comment at line 2, column 1; fix the file first"
    );
}

#[test]
fn apply_edits_in_any_order() {
    let src = "abcdef";
    let edits = [
        TextEdit {
            range: TextRange::new(4, 6),
            new_text: "X".into(),
        },
        TextEdit {
            range: TextRange::new(0, 0),
            new_text: "1".into(),
        },
        TextEdit {
            range: TextRange::new(0, 0),
            new_text: "2".into(),
        },
        TextEdit {
            range: TextRange::new(1, 2),
            new_text: String::new(),
        },
    ];
    assert_eq!(apply_edits(src, &edits), "12acdX");
    assert_eq!(apply_edits(src, &[]), src);
}

#[test]
fn diff_edit_is_minimal() {
    let e = diff_edit("héllo wörld", "héllo world");
    assert_eq!(
        apply_edits("héllo wörld", std::slice::from_ref(&e)),
        "héllo world"
    );
    assert_eq!(e.range, TextRange::new(8, 10));
    assert_eq!(diff_edit("aaa", "aa").range.len(), 1);
    assert_eq!(diff_edit("same", "same").range, TextRange::new(4, 4));
}
