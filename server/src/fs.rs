//! The file-system edge: reading documents in whatever encoding they were saved in, finding
//! the nearest file of a name upwards, walking folders the way `git` sees them, and writing
//! files atomically. The layers below never touch the disk; this module hands them text.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Reads a text file: UTF-8 (with or without a byte-order mark) or UTF-16 with a BOM.
/// The BOM is removed. Invalid text is an `InvalidData` error that says so.
pub fn read_text(path: &Path) -> io::Result<String> {
    let bytes = std::fs::read(path)?;
    decode_text(bytes).map_err(|msg| io::Error::new(io::ErrorKind::InvalidData, msg))
}

/// Decodes file contents; see [`read_text`].
pub fn decode_text(bytes: Vec<u8>) -> Result<String, String> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return String::from_utf8(rest.to_vec()).map_err(|e| not_utf8(&e));
    }
    let utf16 = |le: bool| -> Result<String, String> {
        let units = bytes[2..].chunks(2).map(|c| {
            let pair = [c[0], *c.get(1).unwrap_or(&0)];
            if le {
                u16::from_le_bytes(pair)
            } else {
                u16::from_be_bytes(pair)
            }
        });
        char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .map_err(|_| "the file is not valid UTF-16 text".to_string())
    };
    match bytes.get(..2) {
        Some([0xFF, 0xFE]) => utf16(true),
        Some([0xFE, 0xFF]) => utf16(false),
        _ => String::from_utf8(bytes).map_err(|e| not_utf8(&e)),
    }
}

fn not_utf8(e: &std::string::FromUtf8Error) -> String {
    format!(
        "the file is not UTF-8 text (invalid byte at offset {}); save it as UTF-8",
        e.utf8_error().valid_up_to()
    )
}

/// The nearest file called `name` in `dir` or one of its ancestors.
pub fn find_up(dir: &Path, name: &str) -> Option<PathBuf> {
    dir.ancestors().map(|d| d.join(name)).find(|p| p.is_file())
}

/// Writes `contents` to `path` whole or not at all: a temporary file in the same folder,
/// flushed to disk, then renamed over the target. An existing file keeps its permissions.
///
/// The temporary file is `.<name>.<random>.tmp` beside the target, so that one left by a
/// writer that was killed is recognisable; those older than [`STALE_AFTER`] are removed first.
/// A younger one may belong to a writer still at work, and is left alone.
pub fn write_atomic(path: &Path, contents: &str) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file path"))?
        .to_string_lossy();
    let prefix = format!(".{name}.");
    remove_stale_temporaries(dir, &prefix, std::time::SystemTime::now());
    let mut builder = tempfile::Builder::new();
    builder
        .prefix(&prefix)
        .suffix(TMP_SUFFIX)
        .rand_bytes(TMP_RAND_LEN);
    // A new file gets the mode any program's new file gets (0666 less the umask), not the
    // temporary file's 0600: vaultlink.json is meant to be committed and shared. An existing
    // file keeps its own mode (below).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder.tempfile_in(dir)?;
    tmp.write_all(contents.as_bytes())?;
    tmp.as_file().sync_all()?;
    if let Ok(meta) = std::fs::metadata(path) {
        std::fs::set_permissions(tmp.path(), meta.permissions())?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// How old a temporary file of [`write_atomic`] must be to be taken for one a killed writer
/// left: far longer than any write takes.
pub const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(60);

const TMP_SUFFIX: &str = ".tmp";
const TMP_RAND_LEN: usize = 6;

/// Removes the files in `dir` named `<prefix><random>.tmp` last modified before
/// `now - STALE_AFTER`. Best effort: a file that cannot be read or removed is left.
fn remove_stale_temporaries(dir: &Path, prefix: &str, now: std::time::SystemTime) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(random) = file_name
            .to_str()
            .and_then(|n| n.strip_prefix(prefix))
            .and_then(|n| n.strip_suffix(TMP_SUFFIX))
        else {
            continue;
        };
        if random.len() != TMP_RAND_LEN || !random.bytes().all(|b| b.is_ascii_alphanumeric()) {
            continue;
        }
        let stale = entry
            .metadata()
            .ok()
            .filter(|m| m.file_type().is_file())
            .and_then(|m| m.modified().ok())
            .and_then(|modified| now.duration_since(modified).ok())
            .is_some_and(|age| age > STALE_AFTER);
        if stale {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Every file below `root` that `keep` accepts, in a stable order, skipping what
/// `.gitignore`, `.ignore` and git's exclude files leave out (hidden folders too).
/// Folders that cannot be read are reported through `on_error` and skipped.
pub fn walk(
    root: &Path,
    keep: impl Fn(&Path) -> bool,
    mut on_error: impl FnMut(String),
) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let walker = ignore::WalkBuilder::new(root)
        .require_git(false)
        .sort_by_file_path(|a, b| a.cmp(b))
        .build();
    for entry in walker {
        match entry {
            Ok(e) if e.file_type().is_some_and(|t| t.is_file()) && keep(e.path()) => {
                out.push(e.into_path());
            }
            Ok(_) => {}
            Err(e) => on_error(e.to_string()),
        }
    }
    out
}

/// A program named one of `names` in the absolute folders of `path` (`PATH`) that are not
/// under `avoid` (the workspace). An empty or relative entry (`.`, `bin`) names a folder of
/// wherever vaultlink runs, which may be a repository's; it is skipped.
pub fn find_program(
    names: &[&str],
    path: Option<&std::ffi::OsStr>,
    avoid: &[PathBuf],
) -> Option<PathBuf> {
    let avoid: Vec<PathBuf> = avoid
        .iter()
        .filter(|a| a.is_absolute())
        .map(|a| std::fs::canonicalize(a).unwrap_or_else(|_| a.clone()))
        .collect();
    std::env::split_paths(path?)
        .filter(|dir| dir.is_absolute())
        .filter(|dir| {
            let real = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.clone());
            !avoid.iter().any(|a| real.starts_with(a))
        })
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| is_executable(p))
}

fn is_executable(path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.is_file() && meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        meta.is_file()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_boms_and_utf16() {
        assert_eq!(decode_text(b"\xEF\xBB\xBFhi".to_vec()).unwrap(), "hi");
        assert_eq!(
            decode_text(vec![0xFF, 0xFE, b'h', 0, b'i', 0]).unwrap(),
            "hi"
        );
        assert_eq!(
            decode_text(vec![0xFE, 0xFF, 0, b'h', 0, b'i']).unwrap(),
            "hi"
        );
        let err = decode_text(vec![b'a', 0xFF]).unwrap_err();
        assert!(err.contains("offset 1"), "{err}");
    }

    #[test]
    fn atomic_write_replaces_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("vaultlink.json");
        write_atomic(&p, "one").unwrap();
        write_atomic(&p, "two").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "two");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
        // A folder that does not exist: an error, and nothing written.
        assert!(write_atomic(&dir.path().join("missing/x.json"), "x").is_err());
    }

    #[test]
    fn stale_temporary_files_are_removed_by_the_next_write() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("vaultlink.json");
        let old = std::time::SystemTime::now() - STALE_AFTER * 2;
        let file = |name: &str, modified: Option<std::time::SystemTime>| {
            let f = std::fs::File::create(dir.path().join(name)).unwrap();
            if let Some(t) = modified {
                f.set_modified(t).unwrap();
            }
        };
        // Left by killed writers long ago; one by a writer at work now; and files that only
        // look alike.
        file(".vaultlink.json.aB3xYz.tmp", Some(old));
        file(".vaultlink.json.000000.tmp", Some(old));
        file(".vaultlink.json.Fresh1.tmp", None);
        for other in [
            ".vaultlink.json.toolong1.tmp",
            ".other.json.aB3xYz.tmp",
            "vaultlink.json.aB3xYz.tmp",
            ".vaultlink.json.aB3xYz.bak",
        ] {
            file(other, Some(old));
        }
        std::fs::create_dir(dir.path().join(".vaultlink.json.dir123.tmp")).unwrap();
        write_atomic(&p, "{}").unwrap();
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                ".other.json.aB3xYz.tmp",
                ".vaultlink.json.Fresh1.tmp",
                ".vaultlink.json.aB3xYz.bak",
                ".vaultlink.json.dir123.tmp",
                ".vaultlink.json.toolong1.tmp",
                "vaultlink.json",
                "vaultlink.json.aB3xYz.tmp",
            ]
        );
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "{}");
    }

    #[test]
    fn finds_the_nearest_file_upwards() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("a/b");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(dir.path().join("vaultlink.json"), "{}").unwrap();
        assert_eq!(
            find_up(&deep, "vaultlink.json").unwrap(),
            dir.path().join("vaultlink.json")
        );
        std::fs::write(dir.path().join("a/vaultlink.json"), "{}").unwrap();
        assert_eq!(
            find_up(&deep, "vaultlink.json").unwrap(),
            dir.path().join("a/vaultlink.json")
        );
    }

    #[test]
    fn walk_respects_gitignore() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("build")).unwrap();
        std::fs::write(root.join(".gitignore"), "build/\n").unwrap();
        std::fs::write(root.join("a.http"), "GET x").unwrap();
        std::fs::write(root.join("build/b.http"), "GET x").unwrap();
        let files = walk(root, |p| p.extension().is_some_and(|e| e == "http"), |_| {});
        assert_eq!(files, vec![root.join("a.http")]);
    }
}
