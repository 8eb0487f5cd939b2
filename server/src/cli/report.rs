//! How `vaultlink check` prints its findings: one line each (`text`), a JSON array
//! (`json`), a SARIF 2.1.0 log (`sarif`, for code scanning) or GitHub workflow commands
//! (`github`, annotations on a pull request).

use std::io::{self, Write};

use serde::Serialize;
use serde_json::{Value, json};

use std::path::Path;

use super::display_path;
use crate::text::{Encoding, LineIndex, TextRange};
use crate::vault::diagnostic::{Code, Finding, Severity};
use crate::vault::features::actions::{self, Action};
use crate::vault::features::{Doc, World};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Text,
    Json,
    Sarif,
    Github,
    Gitlab,
}

/// One finding as printed: 1-based lines and columns, columns in characters.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
    pub severity: &'static str,
    pub code: &'static str,
    pub message: String,
    /// The quick fixes that fix it, for SARIF.
    #[serde(skip)]
    pub fixes: Vec<Fix>,
}

/// A quick fix, as edits to files with 1-based lines and columns.
pub struct Fix {
    pub description: String,
    pub changes: Vec<Change>,
}

/// Replacements in one file.
pub struct Change {
    pub file: String,
    /// Whether the file does not exist yet: the replacements are insertions into its empty
    /// text.
    pub create: bool,
    pub replacements: Vec<Replacement>,
}

pub struct Replacement {
    pub region: Region,
    pub text: String,
}

#[derive(Clone, Copy)]
pub struct Region {
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
}

impl Region {
    /// The 1-based lines and character columns of `range` in `text`.
    pub fn of(text: &str, index: &LineIndex, range: TextRange) -> Region {
        let start = index.line_col(text, range.start, Encoding::Chars);
        let end = index.line_col(text, range.end, Encoding::Chars);
        Region {
            line: start.line + 1,
            column: start.col + 1,
            end_line: end.line + 1,
            end_column: end.col + 1,
        }
    }
}

impl Row {
    pub fn new(file: &str, text: &str, index: &LineIndex, f: &Finding) -> Row {
        let r = Region::of(text, index, f.range);
        Row {
            file: file.to_string(),
            line: r.line,
            column: r.column,
            end_line: r.end_line,
            end_column: r.end_column,
            severity: f.severity.as_str(),
            code: f.code.as_str(),
            message: f.message.clone(),
            fixes: Vec::new(),
        }
    }
}

/// The quick fixes the editor offers for finding `f`, as edits with lines and columns.
pub fn quick_fixes(doc: &Doc<'_>, world: &World<'_>, f: &Finding) -> Vec<Fix> {
    let code = f.code.as_str();
    actions::code_actions(doc, f.range, world)
        .into_iter()
        .filter(|a: &Action| a.fixes == Some(code) && a.create_secret.is_none())
        .map(|a| Fix {
            description: a.title,
            changes: a
                .edits
                .iter()
                .map(|e| {
                    let text: std::borrow::Cow<'_, str> =
                        if e.path == doc.path.unwrap_or(Path::new("")) {
                            doc.text.into()
                        } else if let Some(l) = world.links.filter(|l| l.path == e.path) {
                            l.text.into()
                        } else {
                            "".into()
                        };
                    let index = LineIndex::new(&text);
                    Change {
                        file: display_path(&e.path),
                        create: e.create,
                        replacements: e
                            .edits
                            .iter()
                            .map(|t| Replacement {
                                region: Region::of(&text, &index, t.range),
                                text: t.new_text.clone(),
                            })
                            .collect(),
                    }
                })
                .collect(),
        })
        .collect()
}

pub fn write(format: Format, rows: &[Row], out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Text => rows.iter().try_for_each(|r| {
            writeln!(
                out,
                "{}:{}:{}: {}[{}]: {}",
                r.file, r.line, r.column, r.severity, r.code, r.message
            )
        }),
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, rows).map_err(io::Error::other)?;
            writeln!(out)
        }
        Format::Sarif => {
            serde_json::to_writer_pretty(&mut *out, &sarif(rows)).map_err(io::Error::other)?;
            writeln!(out)
        }
        Format::Github => rows.iter().try_for_each(|r| writeln!(out, "{}", github(r))),
        Format::Gitlab => {
            serde_json::to_writer_pretty(&mut *out, &gitlab(rows)).map_err(io::Error::other)?;
            writeln!(out)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// GitLab Code Quality

/// A GitLab Code Quality report: the subset of the Code Climate issue format GitLab reads
/// (`description`, `check_name`, `fingerprint`, `severity`, `location.path`,
/// `location.lines.begin`). The fingerprint tells GitLab which findings of a merge request are
/// new: it is a hash of the rule, the file, the message and how many findings with the same
/// three come before it in the file, so that a finding keeps it when lines above it move. It
/// holds no value from the file beyond what the message says.
pub fn gitlab(rows: &[Row]) -> Value {
    use sha2::{Digest, Sha256};
    let mut seen: std::collections::HashMap<(&str, &str, &str), usize> = Default::default();
    let issues: Vec<Value> = rows
        .iter()
        .map(|r| {
            let path = r.file.replace('\\', "/");
            let path = path.strip_prefix("./").unwrap_or(&path).to_string();
            let nth = seen.entry((r.code, &r.file, &r.message)).or_insert(0);
            *nth += 1;
            let mut hash = Sha256::new();
            for part in [r.code, path.as_str(), r.message.as_str(), &nth.to_string()] {
                hash.update(part.as_bytes());
                hash.update([0]);
            }
            json!({
                "description": r.message,
                "check_name": r.code,
                "fingerprint": format!("{:x}", hash.finalize()),
                "severity": match r.severity {
                    "error" => "major",
                    "warning" => "minor",
                    _ => "info",
                },
                "location": { "path": path, "lines": { "begin": r.line } },
            })
        })
        .collect();
    Value::Array(issues)
}

// ---------------------------------------------------------------------------------------------
// GitHub workflow commands

/// `::warning file=…,line=…,col=…,endLine=…,endColumn=…,title=…::message`, escaped as the
/// runner unescapes: `%`, CR and LF in the message; also `:` and `,` in properties.
pub fn github(r: &Row) -> String {
    let command = match r.severity {
        "error" => "error",
        "warning" => "warning",
        _ => "notice",
    };
    format!(
        "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
        escape_property(&r.file),
        r.line,
        r.column,
        r.end_line,
        r.end_column,
        escape_property(&format!("vaultlink {}", r.code)),
        escape_data(&r.message),
    )
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

// ---------------------------------------------------------------------------------------------
// SARIF 2.1.0

const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn sarif_level(severity: &str) -> &'static str {
    match severity {
        "error" => "error",
        "warning" => "warning",
        _ => "note",
    }
}

/// What each rule is about, and what to do: the rule's help text.
fn rule_text(code: Code) -> (&'static str, &'static str) {
    match code {
        Code::UnlinkedSecret => (
            "A vault reference has no link in vaultlink.json.",
            "Link the name to a Key Vault secret: `vaultlink link NAME https://<vault>.vault.azure.net/secrets/<name>`, or use the quick fix \"Link\" in the editor.",
        ),
        Code::InvalidReference => (
            "A `{{vault:…}}` reference is malformed.",
            "A name takes 1–256 letters, digits, `_`, `-` and `.`; close the reference with `}}`.",
        ),
        Code::InvalidLink => (
            "A link in vaultlink.json is not a valid secret identifier.",
            "Write the link as `https://<vault>.vault.azure.net/secrets/<name>[/<version>]`.",
        ),
        Code::UntrustedHost => (
            "A link points to a host that is not a Key Vault host of a known cloud.",
            "Use a Key Vault host (`*.vault.azure.net`, `*.vault.azure.cn`, `*.vault.usgovcloudapi.net`).",
        ),
        Code::SecretNotFound => (
            "Key Vault has no secret at the linked identifier.",
            "Create the secret, or fix the link's name or version.",
        ),
        Code::SecretDisabled => (
            "The linked secret is disabled in Key Vault.",
            "Enable the secret, or link another one.",
        ),
        Code::AccessDenied => (
            "Key Vault refused to read the secret's metadata.",
            "Ask for the *Key Vault Secrets User* role on the vault.",
        ),
        Code::NetworkRefused => (
            "Key Vault's network rules refused the request.",
            "Allow this network in the vault's firewall, or run from a network it allows.",
        ),
        Code::SecretExpired => (
            "The linked secret has expired.",
            "Rotate the secret and set a new expiry date.",
        ),
        Code::SecretNotYetValid => (
            "The linked secret is not valid yet.",
            "Wait for its activation date, or change it.",
        ),
        Code::SecretExpiring => (
            "The linked secret expires within 14 days.",
            "Rotate the secret before it expires.",
        ),
        Code::NewerVersion => (
            "The link pins a version that is not the latest.",
            "Link the latest version, or remove the version to follow the latest.",
        ),
        Code::DomainNotAllowed => (
            "A secret would be sent to a host its allowedDomains does not list.",
            "Send the request to an allowed host, or add the host to the secret's `allowedDomains` in vaultlink.json.",
        ),
        Code::ScriptAccessDisabled => (
            "A collection script reads the vault while vaultlink.json does not allow it.",
            "Set `\"scripts\": {\"allowVaultAccess\": true}` in vaultlink.json, or remove the call.",
        ),
        Code::LinkedSecretWrite => (
            "A script sets or unsets a secret that is linked to Key Vault.",
            "Linked secrets are changed in Key Vault, not from scripts: remove the call.",
        ),
        Code::UndefinedVariable => (
            "A `{{variable}}` is defined nowhere.",
            "Define it in the file, in an environment file, or in the collection.",
        ),
        Code::PlaintextSecret => (
            "A credential (token, key or password) is written in plain text in a committed file.",
            "Move the value to Key Vault and write `{{vault:NAME}}` instead (the quick fix \"Move to vault\" does both; then rotate the credential, which is in the history). If it is not a credential, mark the line with a comment `vaultlink-ignore plaintext-secret` on it or on the line above (`# vaultlink-ignore plaintext-secret` in .http files; a member `\"//\": \"vaultlink-ignore plaintext-secret\"` on the line above in JSON files).",
        ),
        Code::MissingSeparator => (
            "A construct that some editors' dialects read differently.",
            "Insert the `###` line or the blank line the finding names.",
        ),
        Code::SyntaxError => (
            "The file is not well-formed.",
            "Fix the syntax the message names.",
        ),
    }
}

fn pascal(code: &str) -> String {
    code.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn region(r: &Region) -> Value {
    json!({
        "startLine": r.line,
        "startColumn": r.column,
        "endLine": r.end_line,
        "endColumn": r.end_column,
    })
}

/// A path as a SARIF relative URI reference: `/` separators, percent-encoded.
fn uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let path = path.strip_prefix("./").unwrap_or(&path);
    percent_encoding::utf8_percent_encode(path, URI_SET).to_string()
}

const URI_SET: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

fn location(file: &str) -> Value {
    if file.starts_with('/') {
        json!({ "uri": format!("file://{}", uri(file)) })
    } else {
        json!({ "uri": uri(file), "uriBaseId": "%SRCROOT%" })
    }
}

/// A change to one file. SARIF 2.1.0 has no "create": a file the fix creates is an artifact
/// with no characters, and its content is inserted at the one insertion point such an
/// artifact has, `charOffset` 0 with `charLength` 0 (the region object allows an offset equal
/// to the number of characters with length 0, the end of the artifact). Lines and columns
/// would name a line 1 the file does not have. Its location says that it is new.
fn artifact_change(c: &Change) -> Value {
    if c.create {
        let text: String = c.replacements.iter().map(|r| r.text.as_str()).collect();
        let mut location = location(&c.file);
        location["description"] = json!({ "text": "A new file, created by this fix." });
        return json!({
            "artifactLocation": location,
            "replacements": [{
                "deletedRegion": { "charOffset": 0, "charLength": 0 },
                "insertedContent": { "text": text },
            }],
        });
    }
    json!({
        "artifactLocation": location(&c.file),
        "replacements": c.replacements.iter().map(|rep| json!({
            "deletedRegion": self::region(&rep.region),
            "insertedContent": { "text": rep.text },
        })).collect::<Vec<_>>(),
    })
}

pub fn sarif(rows: &[Row]) -> Value {
    let rules: Vec<Value> = Code::ALL
        .iter()
        .map(|&code| {
            let (short, help) = rule_text(code);
            let mut properties = json!({
                "tags": if code == Code::PlaintextSecret { vec!["security", "secrets"] } else { vec!["vaultlink"] },
                "problem.severity": match code.severity() {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                    _ => "recommendation",
                },
            });
            if code == Code::PlaintextSecret {
                // GitHub code scanning ranks security alerts by this score (high: 7.0–8.9).
                properties["security-severity"] = json!("8.0");
            }
            json!({
                "id": code.as_str(),
                "name": pascal(code.as_str()),
                "shortDescription": { "text": short },
                "fullDescription": { "text": short },
                "help": { "text": help, "markdown": help },
                "defaultConfiguration": { "level": sarif_level(code.severity().as_str()) },
                "properties": properties,
            })
        })
        .collect();
    let results: Vec<Value> = rows
        .iter()
        .map(|r| {
            let index = Code::ALL.iter().position(|c| c.as_str() == r.code);
            let region = Region {
                line: r.line,
                column: r.column,
                end_line: r.end_line,
                end_column: r.end_column,
            };
            let mut result = json!({
                "ruleId": r.code,
                "level": sarif_level(r.severity),
                "message": { "text": r.message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": location(&r.file),
                        "region": self::region(&region),
                    }
                }],
            });
            if let Some(i) = index {
                result["ruleIndex"] = json!(i);
            }
            if !r.fixes.is_empty() {
                result["fixes"] = r
                    .fixes
                    .iter()
                    .map(|f| {
                        json!({
                            "description": { "text": f.description },
                            "artifactChanges": f.changes.iter().map(artifact_change).collect::<Vec<_>>(),
                        })
                    })
                    .collect();
            }
            result
        })
        .collect();
    json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "vaultlink",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "columnKind": "unicodeCodePoints",
            "originalUriBaseIds": {
                "%SRCROOT%": { "description": { "text": "The folder vaultlink check ran in." } }
            },
            "results": results,
        }]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_commands_escape_data_and_properties() {
        let row = Row {
            file: "a,b:c%.http".into(),
            line: 3,
            column: 5,
            end_line: 3,
            end_column: 9,
            severity: "information",
            code: "secret-expiring",
            message: "100% done\r\nnext, line: here".into(),
            fixes: Vec::new(),
        };
        expect_test::expect![[r#"::notice file=a%2Cb%3Ac%25.http,line=3,col=5,endLine=3,endColumn=9,title=vaultlink secret-expiring::100%25 done%0D%0Anext, line: here"#]]
            .assert_eq(&github(&row));
    }
}
