//! Helpers for the end-to-end tests: where the built binary and the shared test data are,
//! throwaway projects written from fixtures, and running the binary; [`lsp`] is a
//! language-server client that drives the binary over stdio.

pub mod browser;
pub mod echo;
pub mod emulator;
pub mod lsp;
pub mod moto;
pub mod nvim;
pub mod oidc;
pub mod replay;
pub mod screen;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The `vaultlink` binary under test: `VAULTLINK_BIN`, else the one cargo built beside the
/// test executables (`cargo test --workspace` and `cargo nextest run --workspace` build it).
pub fn bin() -> PathBuf {
    if let Some(p) = std::env::var_os("VAULTLINK_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("the test executable has a path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("tests run from target/<profile>/deps");
    let bin = dir.join(format!("vaultlink{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.is_file(),
        "{} is missing: build it with `cargo build -p vaultlink` (or set VAULTLINK_BIN)",
        bin.display()
    );
    bin
}

/// The shared folder with the public conformance corpora: `VAULTLINK_SHARED`, else
/// `../shared` beside the repository. Missing data fails the test that needs it.
pub fn shared_dir() -> PathBuf {
    let dir = std::env::var_os("VAULTLINK_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"));
    assert!(
        dir.join("conformance").is_dir(),
        "the shared conformance data is not at {}: set VAULTLINK_SHARED to the folder that holds conformance/",
        dir.display()
    );
    dir
}

/// A throwaway project folder written from a fixture: blocks of `//- /path` lines followed
/// by that file's text.
pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    pub fn new(fixture: &str) -> Project {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let mut current: Option<(String, String)> = None;
        let flush = |cur: &mut Option<(String, String)>| {
            if let Some((path, text)) = cur.take() {
                let p = dir.path().join(path.trim_start_matches('/'));
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                std::fs::write(p, text).unwrap();
            }
        };
        for line in fixture.split_inclusive('\n') {
            if let Some(path) = line.strip_prefix("//- ") {
                flush(&mut current);
                current = Some((path.trim().to_string(), String::new()));
            } else if let Some((_, text)) = current.as_mut() {
                text.push_str(line);
            }
        }
        flush(&mut current);
        Project { dir }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap()
    }

    /// Runs `vaultlink ARGS` in the project folder.
    pub fn run(&self, args: &[&str]) -> Run {
        run_in(self.dir.path(), args)
    }
}

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run_in(dir: &Path, args: &[&str]) -> Run {
    run_with(dir, args, &[])
}

/// The variables that point vaultlink at Azure; tests start without them, so that nothing
/// of the machine's own Azure setup reaches a test.
pub const AZURE_VARS: [&str; 6] = [
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_AUTHORITY_HOST",
    "VAULTLINK_KEYVAULT_ENDPOINT",
    "AZURE_ADDITIONALLY_ALLOWED_TENANTS",
];

/// The variables that point vaultlink at AWS; tests start without them too.
pub const AWS_VARS: [&str; 20] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_SECRETS_MANAGER",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL_SSO",
    "AWS_ENDPOINT_URL_STS",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
];

/// Runs the binary in `dir` with `env` added to an environment without [`AZURE_VARS`] and
/// [`AWS_VARS`].
pub fn run_with(dir: &Path, args: &[&str], env: &[(String, String)]) -> Run {
    let mut cmd = Command::new(bin());
    for var in AZURE_VARS.iter().chain(&AWS_VARS) {
        cmd.env_remove(var);
    }
    let Output {
        status,
        stdout,
        stderr,
    } = cmd
        .envs(env.iter().map(|(k, v)| (k, v)))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8(stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(stderr).expect("stderr is UTF-8"),
    }
}

/// Waits for `child` to exit; past `timeout` it is killed and `None` comes back.
pub fn wait_or_kill(
    child: &mut std::process::Child,
    timeout: std::time::Duration,
) -> Option<std::process::ExitStatus> {
    let started = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("waiting for the child process") {
            return Some(status);
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
