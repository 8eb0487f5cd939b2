//! The quickstart: a real `vaultlink send` of `examples/quickstart.http`, with no Azure
//! account. It starts the Key Vault and Entra ID emulator holding the secret `echo-token`
//! and a loopback echo server, then sends the request in a child process whose environment
//! points vaultlink at them (SPEC §7's test endpoints, and the emulator's service principal
//! for the `environment` sign-in). The echo server answers with the request it got, secret
//! included; vaultlink prints that answer with the secret masked.
//!
//! `cargo run --release -p vaultlink-e2e --bin quickstart`

use std::path::Path;
use std::process::{Command, ExitCode};

use vaultlink_e2e::echo::Echo;
use vaultlink_e2e::emulator::Emulator;

/// The child's marker: run `vaultlink send` in this process.
const SEND: &str = "--send-quickstart";

fn main() -> ExitCode {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let file = examples.join("quickstart.http");
    if std::env::args().nth(1).as_deref() == Some(SEND) {
        let mut out = std::io::stdout().lock();
        let mut err = std::io::stderr().lock();
        let code = vaultlink::cli::send(
            &vaultlink::cli::SendOptions {
                file,
                ..Default::default()
            },
            &mut out,
            &mut err,
        );
        return ExitCode::from(code as u8);
    }

    let emulator = Emulator::start();
    // A value nobody would guess, made for this run; it is never printed.
    let secret = format!("echo-{:016x}", rand::random::<u64>());
    emulator.add_secret("corp-kv.vault.azure.net", "echo-token", &secret);
    let echo = Echo::start();
    eprintln!(
        "quickstart: Key Vault and Entra ID emulator at {}",
        emulator.url()
    );
    eprintln!("quickstart: echo server at {}", echo.url());
    eprintln!("quickstart: vaultlink send examples/quickstart.http\n");

    let exe = std::env::current_exe().expect("the quickstart knows where it is");
    let status = Command::new(exe)
        .arg(SEND)
        .envs(emulator.env())
        .envs(emulator.sp_env())
        .env("ECHO_URL", echo.url())
        .status()
        .expect("the send runs");

    let got = echo.requests();
    let auth = got
        .first()
        .and_then(|r| {
            r.headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("authorization"))
        })
        .map(|(_, v)| v.clone());
    eprintln!();
    if auth == Some(format!("Bearer {secret}")) {
        eprintln!(
            "quickstart: the echo server received the real secret from Key Vault; the output above shows it as ***"
        );
        ExitCode::SUCCESS
    } else {
        eprintln!("quickstart: the request did not arrive with the secret (exit {status})");
        ExitCode::FAILURE
    }
}
