//! Environment files: `http-client.env.json` and `http-client.private.env.json` (JetBrains,
//! Visual Studio, kulala, httpyac) and Postman's `*.postman_environment.json`, as named
//! environments of variables with the range of every name and value.
//!
//! Built on [`json`]; parsing never fails. A value of Visual Studio's form
//! `{"provider": "AzureKeyVault", "secretName": …, "resourceId": "…/vaults/<vault>"}` is a Key
//! Vault reference ([`EnvValue::KeyVault`]); other non-string values are kept as a range only.

use std::borrow::Cow;

use crate::syntax::SyntaxError;
use crate::syntax::json::{self, JsonString, Member, Value, ValueKind};
use crate::text::TextRange;

/// The name of the environment whose variables every other environment of an
/// `http-client.env.json` file shares.
pub const SHARED: &str = "$shared";

/// Which kind of environment file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EnvFileKind {
    /// `http-client.env.json`, or `http-client.private.env.json` when `private`.
    HttpClient {
        /// `http-client.private.env.json`: the one meant to stay out of version control.
        private: bool,
    },
    /// `*.postman_environment.json`.
    Postman,
}

/// A parsed environment file. Every range is a byte range into the parsed text.
#[derive(Clone, Debug, PartialEq)]
pub struct EnvFile {
    /// Which format the file was read as.
    pub kind: EnvFileKind,
    /// In file order; a Postman file has exactly one unless it is badly broken.
    pub environments: Vec<Environment>,
    /// JSON errors and shape problems, in file order.
    pub errors: Vec<SyntaxError>,
}

/// One environment: `"dev": {…}` of an `http-client.env.json`, or a Postman environment.
#[derive(Clone, Debug, PartialEq)]
pub struct Environment {
    /// The decoded name: the member name (`$shared` for the shared one), or Postman's `name`
    /// (empty when it has none).
    pub name: String,
    /// The name's text without its quotes (empty at the start of the file when a Postman
    /// environment has no `name`).
    pub name_range: TextRange,
    /// The whole `"name": {…}` member, or the whole Postman file's object.
    pub range: TextRange,
    /// In file order. Duplicates are kept; the last one wins, as JSON parsers take it.
    pub variables: Vec<EnvVariable>,
}

/// A variable of an environment.
#[derive(Clone, Debug, PartialEq)]
pub struct EnvVariable {
    /// The decoded name.
    pub name: String,
    /// The name's text without its quotes.
    pub name_range: TextRange,
    /// The whole `"name": value` member, or the whole Postman `values[]` entry.
    pub range: TextRange,
    /// The value.
    pub value: EnvValue,
    /// `false` only for a Postman value with `"enabled": false`.
    pub enabled: bool,
}

/// The names a `.env` file defines (`NAME=value`, `export NAME=value`; `#` comments), as
/// httpyac reads them for variables and REST Client for `{{$dotenv NAME}}`.
pub fn dotenv_names(text: &str) -> Vec<&str> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim_start();
            let line = line.strip_prefix("export ").unwrap_or(line);
            let (name, _) = line.split_once('=')?;
            let name = name.trim();
            let valid = !name.is_empty()
                && !name.starts_with('#')
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
            valid.then_some(name)
        })
        .collect()
}

/// Visual Studio's provider of a project's user secrets.
pub const USER_SECRETS: &str = "AspnetUserSecrets";

/// Visual Studio's provider of values encrypted with Windows DPAPI.
pub const ENCRYPTED: &str = "Encrypted";

/// A variable's value.
#[derive(Clone, Debug, PartialEq)]
pub enum EnvValue {
    /// A string.
    Text(JsonString),
    /// Visual Studio's `{"provider": "AzureKeyVault", "secretName": "…", "resourceId":
    /// "/subscriptions/…/providers/Microsoft.KeyVault/vaults/<vault>"}` (`provider` in any
    /// letter case). A field that is missing or not a string is `None`; the parser does not
    /// report it, the analysis does.
    KeyVault {
        /// `secretName`: the secret's name in the vault.
        secret_name: Option<JsonString>,
        /// `resourceId`: the vault's Azure resource id.
        resource_id: Option<JsonString>,
        /// The segment after the last `vaults/` of `resourceId`.
        vault: Option<String>,
    },
    /// Visual Studio's other secret providers: `{"provider": "AspnetUserSecrets",
    /// "secretName": "…"}` (the project's user secrets), `{"provider": "Encrypted", "value":
    /// "…"}` (Windows DPAPI), or one vaultlink does not know.
    Provider {
        /// `provider`, as written.
        provider: String,
        /// `secretName`, when it is a string.
        secret_name: Option<JsonString>,
        /// The whole object.
        range: TextRange,
    },
    /// Numbers, booleans, `null`, other objects: the value's range only. A Postman entry
    /// without `value` has the empty range just before its closing brace.
    Other(TextRange),
}

impl EnvFile {
    /// The last environment called `name`.
    pub fn environment(&self, name: &str) -> Option<&Environment> {
        self.environments.iter().rev().find(|env| env.name == name)
    }

    /// The `$shared` environment of an `http-client.env.json`.
    pub fn shared(&self) -> Option<&Environment> {
        match self.kind {
            EnvFileKind::HttpClient { .. } => self.environment(SHARED),
            EnvFileKind::Postman => None,
        }
    }
}

impl Environment {
    /// The variable called `name` (the last one, when it is defined twice).
    pub fn variable(&self, name: &str) -> Option<&EnvVariable> {
        self.variables.iter().rev().find(|var| var.name == name)
    }
}

impl EnvValue {
    /// The string, when the value is one.
    pub fn text(&self) -> Option<&JsonString> {
        match self {
            EnvValue::Text(s) => Some(s),
            _ => None,
        }
    }
}

/// Parses `http-client.env.json` (or, with `private`, `http-client.private.env.json`):
/// `{"dev": {"host": "…", …}, "$shared": {…}}`. Never fails. A top-level `$schema` member
/// is not an environment and is skipped.
pub fn parse_http_client(src: &str, private: bool) -> EnvFile {
    let json::JsonDoc { tree, errors } = json::parse(src);
    let mut reader = Reader { src, errors };
    let mut environments = Vec::new();
    if let Some(root) = &tree.root() {
        match &root.kind {
            ValueKind::Object(members) => {
                for m in members {
                    if let Some(env) = reader.http_environment(&m) {
                        environments.push(env);
                    }
                }
            }
            ValueKind::Invalid => {}
            _ => reader.error(
                root.range,
                format!(
                    "an environment file is an object of environments, like {{\"dev\": {{\"host\": \"…\"}}}}, not {}",
                    root.kind_name()
                ),
            ),
        }
    }
    EnvFile {
        kind: EnvFileKind::HttpClient { private },
        environments,
        errors: reader.finish(),
    }
}

/// Parses a Postman environment, `*.postman_environment.json`:
/// `{"name": "…", "values": [{"key", "value", "enabled", "type"}]}`, as one [`Environment`].
/// Never fails.
pub fn parse_postman(src: &str) -> EnvFile {
    let json::JsonDoc { tree, errors } = json::parse(src);
    let mut reader = Reader { src, errors };
    let environments = tree
        .root()
        .and_then(|root| reader.postman_environment(&root))
        .into_iter()
        .collect();
    EnvFile {
        kind: EnvFileKind::Postman,
        environments,
        errors: reader.finish(),
    }
}

/// Parses `src` by the kind its file name says (`http-client.env.json`,
/// `http-client.private.env.json`, `*.postman_environment.json`; letter case ignored, any
/// directories before the name ignored), or `None` when the name is not an environment file's.
pub fn parse_path(file_name: &str, src: &str) -> Option<EnvFile> {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    if base.eq_ignore_ascii_case("http-client.env.json") {
        Some(parse_http_client(src, false))
    } else if base.eq_ignore_ascii_case("http-client.private.env.json") {
        Some(parse_http_client(src, true))
    } else if ends_with_ignore_case(base, ".postman_environment.json") {
        Some(parse_postman(src))
    } else {
        None
    }
}

fn ends_with_ignore_case(s: &str, suffix: &str) -> bool {
    s.len() >= suffix.len()
        && s.as_bytes()[s.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}

/// The segment after the last `vaults/` of an Azure resource id (`vaults` in any case).
fn vault_of(resource_id: &str) -> Option<String> {
    let segments: Vec<&str> = resource_id.trim().split('/').collect();
    segments
        .windows(2)
        .rev()
        .find(|pair| pair[0].eq_ignore_ascii_case("vaults") && !pair[1].is_empty())
        .map(|pair| pair[1].to_owned())
}

struct Reader<'s> {
    src: &'s str,
    errors: Vec<SyntaxError>,
}

impl<'s> Reader<'s> {
    fn error(&mut self, range: TextRange, message: impl Into<String>) {
        self.errors.push(SyntaxError::new(range, message));
    }

    /// The errors in file order (JSON errors were collected first).
    fn finish(mut self) -> Vec<SyntaxError> {
        self.errors.sort_by_key(|e| e.range.start);
        self.errors
    }

    fn name(&self, key: &JsonString) -> Cow<'s, str> {
        key.value(self.src)
    }

    fn http_environment(&mut self, m: &Member<'_>) -> Option<Environment> {
        let name = self.name(&m.key);
        if name == "$schema" {
            return None;
        }
        let members = match &m.value.kind {
            ValueKind::Object(members) => members,
            ValueKind::Invalid => return None,
            _ => {
                let message = format!(
                    "environment `{name}` should be an object of variables, like {{\"host\": \"…\"}}, not {}",
                    m.value.kind_name()
                );
                self.error(m.value.range, message);
                return None;
            }
        };
        // `"//"` holds a comment (vaultlink's ignore marker), not a variable.
        let variables = members
            .iter()
            .filter(|v| !v.key.eq_str(self.src, "//"))
            .map(|v| self.http_variable(&v))
            .collect();
        Some(Environment {
            name: name.into_owned(),
            name_range: m.key.content,
            range: m.key.range.cover(m.value.range),
            variables,
        })
    }

    fn http_variable(&mut self, m: &Member<'_>) -> EnvVariable {
        let name = self.name(&m.key).into_owned();
        let value = match &m.value.kind {
            ValueKind::String(s) => EnvValue::Text(*s),
            ValueKind::Object(_) if self.is_key_vault(&m.value) => self.key_vault(&m.value),
            ValueKind::Object(_) => match m.value.get_str(self.src, "provider") {
                Some(provider) => EnvValue::Provider {
                    provider: provider.into_owned(),
                    secret_name: m.value.get(self.src, "secretName").and_then(|v| v.as_str()),
                    range: m.value.range,
                },
                None => EnvValue::Other(m.value.range),
            },
            _ => EnvValue::Other(m.value.range),
        };
        EnvVariable {
            name,
            name_range: m.key.content,
            range: m.key.range.cover(m.value.range),
            value,
            enabled: true,
        }
    }

    fn is_key_vault(&self, value: &Value<'_>) -> bool {
        value
            .get_str(self.src, "provider")
            .is_some_and(|p| p.eq_ignore_ascii_case("AzureKeyVault"))
    }

    /// The fields of a Key Vault entry. Missing or malformed ones are `None` and not reported
    /// here: the analysis checks the whole reference (names, vault) and says what is wrong.
    fn key_vault(&self, value: &Value<'_>) -> EnvValue {
        let field = |name: &str| value.get(self.src, name).and_then(|v| v.as_str());
        let (secret_name, resource_id) = (field("secretName"), field("resourceId"));
        let vault = resource_id.and_then(|id| vault_of(&id.value(self.src)));
        EnvValue::KeyVault {
            secret_name,
            resource_id,
            vault,
        }
    }

    fn postman_environment(&mut self, root: &Value<'_>) -> Option<Environment> {
        let members = match &root.kind {
            ValueKind::Object(members) => members,
            ValueKind::Invalid => return None,
            _ => {
                let message = format!(
                    "a Postman environment is an object with `name` and `values`, not {}",
                    root.kind_name()
                );
                self.error(root.range, message);
                return None;
            }
        };
        let (mut name, mut values) = (None, None);
        for m in members {
            match &*self.name(&m.key) {
                "name" => name = Some(m.value),
                "values" => values = Some(m.value),
                _ => {}
            }
        }
        let name = match name.map(|v| v.kind) {
            Some(ValueKind::String(s)) => Some(s),
            Some(ValueKind::Invalid) | None => None,
            Some(_) => {
                let v = name.expect("matched Some");
                let message = format!("`name` should be a string, not {}", v.kind_name());
                self.error(v.range, message);
                None
            }
        };
        let mut env = Environment {
            name: name
                .map(|n| n.value(self.src).into_owned())
                .unwrap_or_default(),
            name_range: name.map_or(TextRange::empty(root.range.start), |n| n.content),
            range: root.range,
            variables: Vec::new(),
        };
        match values.map(|v| (v, v.kind)) {
            Some((_, ValueKind::Array(entries))) => {
                env.variables = entries
                    .iter()
                    .filter_map(|e| self.postman_variable(&e))
                    .collect();
            }
            Some((_, ValueKind::Invalid)) => {}
            Some((v, _)) => {
                let message = format!(
                    "`values` should be an array of {{\"key\", \"value\"}}, not {}",
                    v.kind_name()
                );
                self.error(v.range, message);
            }
            None => {
                let start = root.range.start;
                self.error(
                    TextRange::new(start, start + 1),
                    "a Postman environment needs `values`: an array of {\"key\", \"value\", \"enabled\"}",
                );
            }
        }
        Some(env)
    }

    fn postman_variable(&mut self, entry: &Value<'_>) -> Option<EnvVariable> {
        let members = match &entry.kind {
            ValueKind::Object(members) => members,
            ValueKind::Invalid => return None,
            _ => {
                let message = format!(
                    "each `values` entry should be an object, not {}",
                    entry.kind_name()
                );
                self.error(entry.range, message);
                return None;
            }
        };
        let (mut key, mut value, mut enabled) = (None, None, true);
        for m in members {
            match &*self.name(&m.key) {
                "key" => key = Some(m.value),
                "value" => value = Some(m.value),
                "enabled" => enabled = m.value.as_bool() != Some(false),
                _ => {}
            }
        }
        let key = match key.map(|k| k.kind) {
            Some(ValueKind::String(s)) => s,
            Some(ValueKind::Invalid) => return None,
            _ => {
                let at = key.map_or(
                    TextRange::new(entry.range.start, entry.range.start + 1),
                    |k| k.range,
                );
                self.error(at, "this entry needs a string `key`: the variable's name");
                return None;
            }
        };
        let value = match value {
            Some(Value {
                kind: ValueKind::String(s),
                ..
            }) => EnvValue::Text(s),
            Some(v) => EnvValue::Other(v.range),
            None => EnvValue::Other(TextRange::empty(
                entry.range.end.saturating_sub(1).max(entry.range.start),
            )),
        };
        Some(EnvVariable {
            name: key.value(self.src).into_owned(),
            name_range: key.content,
            range: entry.range,
            value,
            enabled,
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn dotenv_names_are_read_line_by_line() {
        let text = "# comment\nAPI_HOST=https://x.test\nexport TOKEN = \"a=b\"\n  spaced.name=1\nnot a pair\n=novalue\n";
        assert_eq!(
            super::dotenv_names(text),
            ["API_HOST", "TOKEN", "spaced.name"]
        );
    }

    use std::fmt::Write as _;

    use expect_test::{Expect, expect};

    use super::*;

    /// The file as one line per environment and variable, values as source slices.
    fn render(src: &str, file: &EnvFile) -> String {
        let mut out = format!("{:?}\n", file.kind);
        let ok = |r: TextRange| {
            assert!(r.start <= r.end && (r.end as usize) <= src.len(), "{r:?}");
            assert!(
                src.is_char_boundary(r.start as usize) && src.is_char_boundary(r.end as usize),
                "{r:?}"
            );
        };
        for env in &file.environments {
            ok(env.name_range);
            ok(env.range);
            let _ = writeln!(out, "env {:?} at {:?}", env.name, env.name_range.slice(src));
            for var in &env.variables {
                ok(var.name_range);
                ok(var.range);
                assert!(env.range.contains_range(var.range));
                let value = match &var.value {
                    EnvValue::Text(s) => format!("text {}", s.range.slice(src)),
                    EnvValue::KeyVault {
                        secret_name,
                        resource_id,
                        vault,
                    } => format!(
                        "key vault secret {} vault {:?} resource {}",
                        secret_name.map_or("-", |s| s.range.slice(src)),
                        vault,
                        resource_id.map_or("-", |s| s.range.slice(src)),
                    ),
                    EnvValue::Provider {
                        provider,
                        secret_name,
                        range,
                    } => {
                        ok(*range);
                        format!(
                            "provider {provider} secret {}",
                            secret_name.map_or("-", |s| s.range.slice(src))
                        )
                    }
                    EnvValue::Other(range) => {
                        ok(*range);
                        format!("other {:?}", range.slice(src))
                    }
                };
                let disabled = if var.enabled { "" } else { " (disabled)" };
                let _ = writeln!(
                    out,
                    "  {:?} at {:?} = {value}{disabled}",
                    var.name,
                    var.name_range.slice(src)
                );
            }
        }
        for e in &file.errors {
            ok(e.range);
            let _ = writeln!(
                out,
                "error {:?} {:?}: {}",
                e.range,
                e.range.slice(src),
                e.message
            );
        }
        out
    }

    fn check_http(src: &str, private: bool, expect: Expect) {
        expect.assert_eq(&render(src, &parse_http_client(src, private)));
    }

    fn check_postman(src: &str, expect: Expect) {
        expect.assert_eq(&render(src, &parse_postman(src)));
    }

    #[test]
    fn http_client_environments_and_shared() {
        check_http(
            r#"{
  "$schema": "https://example.test/env.schema.json",
  "$shared": {"host": "https://api.example.test", "version": 2},
  "dev": {"host": "http://localhost:8080", "token": "{{vault:dev-token}}", "caf\u00e9": "ok", "debug": true, "nothing": null},
  "prod": {}
}"#,
            false,
            expect![[r#"
                HttpClient { private: false }
                env "$shared" at "$shared"
                  "host" at "host" = text "https://api.example.test"
                  "version" at "version" = other "2"
                env "dev" at "dev"
                  "host" at "host" = text "http://localhost:8080"
                  "token" at "token" = text "{{vault:dev-token}}"
                  "café" at "caf\\u00e9" = text "ok"
                  "debug" at "debug" = other "true"
                  "nothing" at "nothing" = other "null"
                env "prod" at "prod"
            "#]],
        );
        let src = r#"{"$shared": {"a": "1"}, "dev": {"a": "2", "a": "3"}}"#;
        let file = parse_http_client(src, false);
        assert_eq!(
            file.shared()
                .unwrap()
                .variable("a")
                .unwrap()
                .value
                .text()
                .unwrap()
                .value(src),
            "1"
        );
        assert_eq!(
            file.environment("dev")
                .unwrap()
                .variable("a")
                .unwrap()
                .value
                .text()
                .unwrap()
                .value(src),
            "3"
        );
        assert!(file.environment("prod").is_none());
    }

    #[test]
    fn private_file_with_key_vault_entries() {
        check_http(
            r#"{
  "dev": {
    "apiKey": {"provider": "AzureKeyVault", "secretName": "api-key", "resourceId": "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/corp-kv"},
    "lower": {"provider": "azurekeyvault", "secretName": "s", "resourceId": "/subscriptions/x/resourcegroups/rg/providers/microsoft.keyvault/VAULTS/kv2/"},
    "noId": {"provider": "AzureKeyVault", "secretName": "s"},
    "badId": {"provider": "AzureKeyVault", "secretName": "", "resourceId": "/subscriptions/x/resourceGroups/rg"},
    "wrongTypes": {"provider": "AzureKeyVault", "secretName": 5, "resourceId": null},
    "userSecret": {"provider": "AspnetUserSecrets", "secretName": "x"},
    "encrypted": {"provider": "Encrypted", "value": "AQAAANCMnd8BFdERjHoAwE"}
  }
}"#,
            true,
            expect![[r#"
                HttpClient { private: true }
                env "dev" at "dev"
                  "apiKey" at "apiKey" = key vault secret "api-key" vault Some("corp-kv") resource "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/corp-kv"
                  "lower" at "lower" = key vault secret "s" vault Some("kv2") resource "/subscriptions/x/resourcegroups/rg/providers/microsoft.keyvault/VAULTS/kv2/"
                  "noId" at "noId" = key vault secret "s" vault None resource -
                  "badId" at "badId" = key vault secret "" vault None resource "/subscriptions/x/resourceGroups/rg"
                  "wrongTypes" at "wrongTypes" = key vault secret - vault None resource -
                  "userSecret" at "userSecret" = provider AspnetUserSecrets secret "x"
                  "encrypted" at "encrypted" = provider Encrypted secret -
            "#]],
        );
    }

    #[test]
    fn http_client_wrong_shapes_and_malformed_json() {
        check_http(
            r#"{"dev": "http://localhost", "test": [1], "ok": {"x": "y"}}"#,
            false,
            expect![[r#"
            HttpClient { private: false }
            env "ok" at "ok"
              "x" at "x" = text "y"
            error 8..26 "\"http://localhost\"": environment `dev` should be an object of variables, like {"host": "…"}, not a string
            error 36..39 "[1]": environment `test` should be an object of variables, like {"host": "…"}, not an array
        "#]],
        );
        check_http(
            r#"["dev"]"#,
            false,
            expect![[r#"
            HttpClient { private: false }
            error 0..7 "[\"dev\"]": an environment file is an object of environments, like {"dev": {"host": "…"}}, not an array
        "#]],
        );
        check_http(
            "{\"dev\": {\"host\": \"http://a\", \"port\": }, \"prod\": {\"host\": \"http://b\"",
            false,
            expect![[r#"
                HttpClient { private: false }
                env "dev" at "dev"
                  "host" at "host" = text "http://a"
                  "port" at "port" = other ""
                env "prod" at "prod"
                  "host" at "host" = text "http://b"
                error 37..37 "": expected a value
                error 67..67 "": unterminated object: expected `}`
            "#]],
        );
        check_http(
            "",
            false,
            expect![[r#"
            HttpClient { private: false }
            error 0..0 "": the file is empty: expected a JSON value
        "#]],
        );
    }

    #[test]
    fn bom_prefixed_input() {
        check_http(
            "\u{FEFF}{\"dev\": {\"host\": \"h\"}}",
            false,
            expect![[r#"
            HttpClient { private: false }
            env "dev" at "dev"
              "host" at "host" = text "h"
        "#]],
        );
        check_postman(
            "\u{FEFF}{\"name\": \"Dev\", \"values\": [{\"key\": \"k\", \"value\": \"v\"}]}",
            expect![[r#"
            Postman
            env "Dev" at "Dev"
              "k" at "k" = text "v"
        "#]],
        );
    }

    #[test]
    fn postman_environment() {
        check_postman(
            r#"{
	"id": "5f3c",
	"name": "Staging \u00e9",
	"values": [
		{"key": "baseUrl", "value": "https://staging.example.test", "type": "default", "enabled": true},
		{"key": "apiKey", "value": "{{vault:staging-api-key}}", "type": "secret", "enabled": true},
		{"key": "old", "value": "x", "enabled": false},
		{"key": "count", "value": 3},
		{"key": "novalue"}
	],
	"_postman_variable_scope": "environment"
}"#,
            expect![[r#"
                Postman
                env "Staging é" at "Staging \\u00e9"
                  "baseUrl" at "baseUrl" = text "https://staging.example.test"
                  "apiKey" at "apiKey" = text "{{vault:staging-api-key}}"
                  "old" at "old" = text "x" (disabled)
                  "count" at "count" = other "3"
                  "novalue" at "novalue" = other ""
            "#]],
        );
    }

    #[test]
    fn postman_wrong_shapes() {
        check_postman(
            r#"{"name": "E", "values": {"key": "k"}}"#,
            expect![[r#"
            Postman
            env "E" at "E"
            error 24..36 "{\"key\": \"k\"}": `values` should be an array of {"key", "value"}, not an object
        "#]],
        );
        check_postman(
            r#"{"name": 5}"#,
            expect![[r#"
            Postman
            env "" at ""
            error 0..1 "{": a Postman environment needs `values`: an array of {"key", "value", "enabled"}
            error 9..10 "5": `name` should be a string, not a number
        "#]],
        );
        check_postman(
            r#"{"name": "E", "values": [3, {"value": "v"}, {"key": 1}, {"key": "ok", "value": "v"}]}"#,
            expect![[r#"
            Postman
            env "E" at "E"
              "ok" at "ok" = text "v"
            error 25..26 "3": each `values` entry should be an object, not a number
            error 28..29 "{": this entry needs a string `key`: the variable's name
            error 52..53 "1": this entry needs a string `key`: the variable's name
        "#]],
        );
        check_postman(
            "[]",
            expect![[r#"
            Postman
            error 0..2 "[]": a Postman environment is an object with `name` and `values`, not an array
        "#]],
        );
        check_postman(
            r#"{"name": "E", "values": [{"key": "a", "value": "b"}, {"key": "#,
            expect![[r#"
            Postman
            env "E" at "E"
              "a" at "a" = text "b"
            error 61..61 "": expected a value
        "#]],
        );
    }

    #[test]
    fn dispatch_by_file_name() {
        let src = r#"{"dev": {"a": "b"}}"#;
        let kind = |name: &str| parse_path(name, src).map(|f| f.kind);
        assert_eq!(
            kind("http-client.env.json"),
            Some(EnvFileKind::HttpClient { private: false })
        );
        assert_eq!(
            kind("/projects/api/http-client.private.env.json"),
            Some(EnvFileKind::HttpClient { private: true })
        );
        assert_eq!(
            kind(r"C:\api\HTTP-Client.Env.json"),
            Some(EnvFileKind::HttpClient { private: false })
        );
        assert_eq!(
            kind("dev.postman_environment.json"),
            Some(EnvFileKind::Postman)
        );
        assert_eq!(
            kind("Dev.Postman_Environment.JSON"),
            Some(EnvFileKind::Postman)
        );
        assert_eq!(kind("api.postman_collection.json"), None);
        assert_eq!(kind("my-http-client.env.json"), None);
        assert_eq!(kind("http-client.env.json/other.json"), None);
        assert_eq!(kind("settings.json"), None);
    }
}
