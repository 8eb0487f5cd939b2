//! `vaultlink-emulator`: the Key Vault and Entra ID emulator of the end-to-end tests as a
//! standalone server, for trying vaultlink locally without Azure. It prints the environment
//! that points vaultlink at it as `export NAME='value'` lines a shell can source or `eval`
//! (where it listens and what it holds go to stderr), never a secret's value. Without
//! `--seed` or `--secret` it holds the secrets `examples/vaultlink.json` links.

use std::io::Write;
use std::process::ExitCode;

use vaultlink_e2e::emulator::{Config, Emulator};

const USAGE: &str = "\
usage: vaultlink-emulator [--port N] [--seed FILE.json] [--secret [VAULT/]NAME=VALUE]... [--tenant ID] [--client-secret S] [--exit-on-stdin-close]

  Prints `export NAME='value'` lines for a shell to source; without --seed or --secret it
  holds the secrets of examples/vaultlink.json (stripe-key, github-token, echo-token in
  corp-kv.vault.azure.net, api-key in corp-staging-kv.vault.azure.net) with made-up values.

  --port N               listen on 127.0.0.1:N (default: a free port)
  --seed FILE.json       add the secrets of FILE: [{\"vault\": \"corp-kv.vault.azure.net\", \"name\": \"...\", \"value\": \"...\"}]
  --secret [VAULT/]NAME=VALUE
                         add one secret (VAULT defaults to corp-kv.vault.azure.net)
  --tenant ID            the tenant id (default: the emulator's)
  --client-secret S      the service principal's client secret
  --exit-on-stdin-close  stop when standard input closes (for scripts and test harnesses)";

struct Args {
    config: Config,
    seed: Option<String>,
    /// `--secret` values: vault host, name, value.
    secrets: Vec<(String, String, String)>,
    exit_on_stdin_close: bool,
}

/// The vault of `--secret NAME=VALUE` and of the example project.
const DEFAULT_VAULT: &str = "corp-kv.vault.azure.net";

/// What the emulator holds when told nothing: the secrets `examples/vaultlink.json` links
/// (but `db-password`, which pins a version no emulator can have), with made-up values.
const EXAMPLE_SECRETS: [(&str, &str, &str); 4] = [
    (
        DEFAULT_VAULT,
        "stripe-key",
        "sk_test_emulated_4eC39HqLyjWDarjtT1zdp7dc",
    ),
    (
        DEFAULT_VAULT,
        "github-token",
        "ghp_emulated0000000000000000000000000000",
    ),
    (DEFAULT_VAULT, "echo-token", "emulated-echo-token-3f9a"),
    (
        "corp-staging-kv.vault.azure.net",
        "api-key",
        "emulated-staging-api-key-81c2",
    ),
];

/// `[VAULT/]NAME=VALUE`.
fn parse_secret(arg: &str) -> Result<(String, String, String), String> {
    let (path, value) = arg
        .split_once('=')
        .ok_or(format!("--secret {arg}: expected [VAULT/]NAME=VALUE"))?;
    let (vault, name) = path.rsplit_once('/').unwrap_or((DEFAULT_VAULT, path));
    if name.is_empty() || vault.is_empty() {
        return Err(format!("--secret {arg}: expected [VAULT/]NAME=VALUE"));
    }
    Ok((vault.to_owned(), name.to_owned(), value.to_owned()))
}

/// `value` quoted for a POSIX shell: in single quotes, each `'` written as `'\''`.
fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "'\\''"))
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args {
        config: Config::default(),
        seed: None,
        secrets: Vec::new(),
        exit_on_stdin_close: false,
    };
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--port" => {
                let port = value()?;
                parsed.config.port = port.parse().map_err(|_| format!("not a port: {port}"))?;
            }
            "--seed" => parsed.seed = Some(value()?),
            "--secret" => parsed.secrets.push(parse_secret(&value()?)?),
            "--tenant" => parsed.config.tenant_id = value()?,
            "--client-secret" => parsed.config.sp_client_secret = value()?,
            "--exit-on-stdin-close" => parsed.exit_on_stdin_close = true,
            other => return Err(format!("unknown argument: {other}")),
        }
    }
    Ok(parsed)
}

fn main() -> ExitCode {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    if raw.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let args = match parse_args(raw.into_iter()) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("vaultlink-emulator: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let port = args.config.port;
    let emulator = match Emulator::bind(args.config) {
        Ok(emulator) => emulator,
        Err(e) => {
            eprintln!("vaultlink-emulator: cannot listen on 127.0.0.1:{port}: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(path) = &args.seed {
        let seeded = std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|json| emulator.seed(&json).map_err(|e| e.to_string()));
        match seeded {
            Ok(versions) => eprintln!("seeded {} secrets from {path}", versions.len()),
            Err(e) => {
                eprintln!("vaultlink-emulator: cannot seed from {path}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let defaults = args.seed.is_none() && args.secrets.is_empty();
    let secrets: Vec<(String, String, String)> = if defaults {
        EXAMPLE_SECRETS
            .iter()
            .map(|(v, n, s)| ((*v).to_owned(), (*n).to_owned(), (*s).to_owned()))
            .collect()
    } else {
        args.secrets
    };
    for (vault, name, value) in &secrets {
        emulator.add_secret(vault, name, value);
    }
    if !secrets.is_empty() {
        let names: Vec<String> = secrets.iter().map(|(v, n, _)| format!("{v}/{n}")).collect();
        eprintln!(
            "holding {}{}",
            names.join(", "),
            if defaults {
                " (the example project's secrets; --seed or --secret for others)"
            } else {
                ""
            }
        );
    }
    eprintln!("listening on {}", emulator.url());
    // A closed stdout leaves nobody to tell; serving on is still what was asked.
    let mut out = std::io::stdout().lock();
    for (name, value) in emulator.env().into_iter().chain(emulator.sp_env()) {
        let _ = writeln!(out, "export {name}={}", shell_quote(&value));
    }
    let _ = out.flush();
    drop(out);
    if args.exit_on_stdin_close {
        let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
    } else {
        loop {
            std::thread::park();
        }
    }
    ExitCode::SUCCESS
}
