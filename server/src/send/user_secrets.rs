//! Visual Studio's `AspnetUserSecrets` entries: a project's user secrets, kept outside the
//! repository by `dotnet user-secrets` in `~/.microsoft/usersecrets/<UserSecretsId>/secrets.json`
//! (`%APPDATA%\Microsoft\UserSecrets\…` on Windows), where `UserSecretsId` comes from the
//! project file beside the environment file or above it.

use std::path::{Path, PathBuf};

use secrecy::SecretString;

/// The user secret `key` of the project found from `dir` upwards, with `home` the user's
/// home folder (or, on Windows, `%APPDATA%`). The error says what is missing, never a value.
pub fn read(dir: &Path, key: &str, home: &Path) -> Result<SecretString, String> {
    let id = project_secrets_id(dir)?;
    let file = secrets_file(home, &id);
    let text = std::fs::read_to_string(&file).map_err(|e| {
        format!(
            "cannot read the user secrets {} ({e}): set it with `dotnet user-secrets set {key} …`",
            file.display()
        )
    })?;
    let root: serde_json::Value = serde_json::from_str(text.trim_start_matches('\u{feff}'))
        .map_err(|e| format!("{} is not JSON ({e})", file.display()))?;
    let value = lookup(&root, key).ok_or_else(|| format!("{} has no `{key}`", file.display()))?;
    Ok(SecretString::from(value))
}

/// Where `dotnet user-secrets` keeps the secrets of `id`.
fn secrets_file(home: &Path, id: &str) -> PathBuf {
    if cfg!(windows) {
        home.join("Microsoft")
            .join("UserSecrets")
            .join(id)
            .join("secrets.json")
    } else {
        home.join(".microsoft")
            .join("usersecrets")
            .join(id)
            .join("secrets.json")
    }
}

/// `<UserSecretsId>` of the nearest project file (`*.csproj`, `*.fsproj`, `*.vbproj`,
/// `Directory.Build.props`) from `dir` upwards.
fn project_secrets_id(dir: &Path) -> Result<String, String> {
    for folder in dir.ancestors() {
        let Ok(entries) = std::fs::read_dir(folder) else {
            continue;
        };
        let mut projects: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                name == "Directory.Build.props"
                    || [".csproj", ".fsproj", ".vbproj"]
                        .iter()
                        .any(|ext| name.ends_with(ext))
            })
            .collect();
        projects.sort();
        for project in projects {
            let Ok(text) = std::fs::read_to_string(&project) else {
                continue;
            };
            if let Some(id) = element(&text, "UserSecretsId") {
                return Ok(id.to_owned());
            }
        }
    }
    Err(format!(
        "no project file with a <UserSecretsId> was found in {} or above",
        dir.display()
    ))
}

/// The trimmed text of the first `<name>…</name>` in `xml`.
fn element<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    Some(xml[start..end].trim()).filter(|id| !id.is_empty() && !id.contains(['/', '\\', '.']))
}

/// `key` in the secrets: a flat `"Section:Key"` entry as `dotnet user-secrets` writes them,
/// or nested objects. Strings as they are; numbers and booleans as written.
fn lookup(root: &serde_json::Value, key: &str) -> Option<String> {
    let found = root
        .get(key)
        .or_else(|| key.split(':').try_fold(root, |v, segment| v.get(segment)))?;
    match found {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(_) | serde_json::Value::Bool(_) => Some(found.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_reads_flat_and_nested_keys() {
        let root: serde_json::Value =
            serde_json::from_str(r#"{"Api:Key": "flat", "Db": {"Password": "nested"}, "N": 5}"#)
                .unwrap();
        assert_eq!(lookup(&root, "Api:Key").as_deref(), Some("flat"));
        assert_eq!(lookup(&root, "Db:Password").as_deref(), Some("nested"));
        assert_eq!(lookup(&root, "N").as_deref(), Some("5"));
        assert_eq!(lookup(&root, "Db"), None);
        assert_eq!(lookup(&root, "Missing"), None);
    }

    #[test]
    fn the_id_comes_from_the_nearest_project_file() {
        assert_eq!(
            element(
                "<Project><PropertyGroup><UserSecretsId> abc-123 </UserSecretsId></PropertyGroup></Project>",
                "UserSecretsId"
            ),
            Some("abc-123")
        );
        assert_eq!(
            element("<UserSecretsId>../x</UserSecretsId>", "UserSecretsId"),
            None
        );
        assert_eq!(element("<Project/>", "UserSecretsId"), None);
    }
}
