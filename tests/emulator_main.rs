//! `vaultlink-emulator`: the Key Vault and Entra ID emulator of the end-to-end tests as a
//! standalone server, for trying vaultlink locally without Azure. It prints where it listens
//! and the environment that points vaultlink at it, never a secret's value.

use std::io::Write;
use std::process::ExitCode;

use vaultlink_e2e::emulator::{Config, Emulator};

const USAGE: &str = "\
usage: vaultlink-emulator [--port N] [--seed FILE.json] [--tenant ID] [--client-secret S] [--exit-on-stdin-close]

  --port N               listen on 127.0.0.1:N (default: a free port)
  --seed FILE.json       add the secrets of FILE: [{\"vault\": \"corp-kv.vault.azure.net\", \"name\": \"...\", \"value\": \"...\"}]
  --tenant ID            the tenant id (default: the emulator's)
  --client-secret S      the service principal's client secret
  --exit-on-stdin-close  stop when standard input closes (for scripts and test harnesses)";

struct Args {
    config: Config,
    seed: Option<String>,
    exit_on_stdin_close: bool,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args {
        config: Config::default(),
        seed: None,
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
    // A closed stdout leaves nobody to tell; serving on is still what was asked.
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "listening on {}", emulator.url());
    for (name, value) in emulator.env().into_iter().chain(emulator.sp_env()) {
        let _ = writeln!(out, "{name}={value}");
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
