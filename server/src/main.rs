//! The `vaultlink` command line: parses flags, calls the library, prints.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use vaultlink::cli;
use vaultlink::text::PrintableWriter;

/// Documents are parsed into many small allocations on every keystroke; mimalloc serves them
/// several times faster than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "vaultlink",
    version,
    about = "Keeps secrets out of HTTP request files: links {{vault:NAME}} references to Azure Key Vault.",
    arg_required_else_help = true
)]
struct Args {
    /// Run the language server on stdin/stdout (the same as `vaultlink lsp`).
    #[arg(long)]
    stdio: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    /// `path:line:column: severity[code]: message`, one line per finding.
    Text,
    /// An array of findings.
    Json,
    /// A SARIF 2.1.0 log, for code scanning.
    Sarif,
    /// GitHub Actions workflow commands: annotations on the changed files.
    Github,
    /// A GitLab Code Quality report (Code Climate issues), for merge request widgets.
    Gitlab,
}

#[derive(Clone, Copy, ValueEnum)]
enum SeverityArg {
    Error,
    Warning,
    #[value(alias = "information")]
    Info,
    Hint,
}

#[derive(Clone, Copy, ValueEnum)]
enum CredentialArg {
    Auto,
    Environment,
    AzureCli,
    Browser,
    DeviceCode,
}

#[derive(Subcommand)]
enum Command {
    /// Run the language server on stdin/stdout.
    Lsp,
    /// Check request files, collections, environments and links; one line per finding.
    Check {
        /// Files or folders (default: the current folder). Folders are walked, respecting .gitignore.
        paths: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "text")]
        format: FormatArg,
        /// Skip every check that needs the network.
        #[arg(long)]
        offline: bool,
        /// The environment variables resolve in (http-client.env.json or Postman environment).
        #[arg(long, value_name = "NAME")]
        env: Option<String>,
        /// Report `plaintext-secret` as an error rather than a warning.
        #[arg(long)]
        strict: bool,
        /// The least severe finding that makes the check fail (exit 1).
        #[arg(long, value_enum, value_name = "SEVERITY", default_value = "error")]
        severity_threshold: SeverityArg,
    },
    /// List the requests of an .http file or a Postman collection.
    Requests {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Send requests with their variables and vault secrets resolved; secrets are masked in the output.
    Send {
        file: PathBuf,
        /// A 1-based index, a request name, or `line:N` (the request containing line N);
        /// repeat it to send a selection, in the order given.
        #[arg(long, value_name = "SELECTOR", conflicts_with = "all")]
        request: Vec<String>,
        /// Send every request, in file order.
        #[arg(long)]
        all: bool,
        /// The environment variables resolve in.
        #[arg(long, value_name = "NAME")]
        env: Option<String>,
        /// One JSON object per request: status, headers, body, elapsedMs.
        #[arg(long)]
        json: bool,
        /// Print the planned requests (secrets masked) without fetching secrets or sending.
        #[arg(long)]
        dry_run: bool,
        /// How to sign in to Azure when a secret is needed.
        #[arg(long, value_enum, default_value = "auto")]
        credential: CredentialArg,
        /// Seconds to wait for each response.
        #[arg(long, value_name = "SECONDS")]
        timeout: Option<u64>,
    },
    /// Link NAME to a Key Vault secret identifier in the nearest vaultlink.json.
    Link {
        name: String,
        /// https://<vault>.vault.azure.net/secrets/<name>[/<version>]
        identifier: String,
        /// A host the secret may be sent to (`*.example.com` for any subdomain); repeatable.
        #[arg(long = "allow-domain", value_name = "DOMAIN")]
        allow_domain: Vec<String>,
    },
    /// Remove the link for NAME from the nearest vaultlink.json.
    Unlink { name: String },
    /// List the links of the nearest vaultlink.json.
    Links {
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    keep_memory_private();
    small_pages();
    prompt_purge();
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            // Help and version are not failures; anything else is bad usage.
            return ExitCode::from(if e.use_stderr() {
                cli::EXIT_USAGE as u8
            } else {
                0
            });
        }
    };
    let command = match (args.stdio, args.command) {
        (true, _) | (false, Some(Command::Lsp)) => return serve(),
        (false, Some(command)) => command,
        (false, None) => {
            eprintln!("vaultlink: no command given; see `vaultlink --help`");
            return ExitCode::from(cli::EXIT_USAGE as u8);
        }
    };
    // Messages and listings show text from files (names, paths, values): control characters
    // in them are escaped. JSON and responses are data and are printed as they are.
    let listing = matches!(
        &command,
        Command::Check {
            format: FormatArg::Text | FormatArg::Github,
            ..
        } | Command::Requests { json: false, .. }
            | Command::Links { json: false }
            | Command::Link { .. }
            | Command::Unlink { .. }
    );
    let stdout = std::io::stdout().lock();
    let mut out: Box<dyn std::io::Write> = if listing {
        Box::new(PrintableWriter::new(stdout))
    } else {
        Box::new(stdout)
    };
    let mut err = PrintableWriter::new(std::io::stderr().lock());
    let cwd = match std::env::current_dir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("vaultlink: cannot read the current folder: {e}");
            return ExitCode::from(cli::EXIT_USAGE as u8);
        }
    };
    let code = match command {
        Command::Lsp => unreachable!("served above"),
        Command::Check {
            paths,
            format,
            offline,
            env,
            strict,
            severity_threshold,
        } => {
            use vaultlink::vault::diagnostic::Severity;
            let format = match format {
                FormatArg::Text => cli::Format::Text,
                FormatArg::Json => cli::Format::Json,
                FormatArg::Sarif => cli::Format::Sarif,
                FormatArg::Github => cli::Format::Github,
                FormatArg::Gitlab => cli::Format::Gitlab,
            };
            let severity_threshold = Some(match severity_threshold {
                SeverityArg::Error => Severity::Error,
                SeverityArg::Warning => Severity::Warning,
                SeverityArg::Info => Severity::Information,
                SeverityArg::Hint => Severity::Hint,
            });
            cli::check(
                &cli::CheckOptions {
                    paths,
                    format,
                    offline,
                    env,
                    strict,
                    severity_threshold,
                },
                &mut out,
                &mut err,
            )
        }
        Command::Requests { file, json } => cli::requests(&file, json, &mut out, &mut err),
        Command::Send {
            file,
            request,
            all,
            env,
            json,
            dry_run,
            credential,
            timeout,
        } => {
            use vaultlink::azure::Method;
            let credential = match credential {
                CredentialArg::Auto => cli::Credential::Auto,
                CredentialArg::Environment => cli::Credential::Method(Method::Environment),
                CredentialArg::AzureCli => cli::Credential::Method(Method::AzureCli),
                CredentialArg::Browser => cli::Credential::Method(Method::Browser),
                CredentialArg::DeviceCode => cli::Credential::Method(Method::DeviceCode),
            };
            cli::send(
                &cli::SendOptions {
                    file,
                    request,
                    all,
                    env,
                    json,
                    dry_run,
                    credential,
                    timeout,
                },
                &mut out,
                &mut err,
            )
        }
        Command::Link {
            name,
            identifier,
            allow_domain,
        } => cli::link(&cwd, &name, &identifier, &allow_domain, &mut out, &mut err),
        Command::Unlink { name } => cli::unlink(&cwd, &name, &mut out, &mut err),
        Command::Links { json } => cli::links(&cwd, json, &mut out, &mut err),
    };
    ExitCode::from(u8::try_from(code).unwrap_or(2))
}

/// Secret values and tokens live in this process's memory: no core dump may write them to
/// disk, and no other process of the user may read that memory through `/proc` or a
/// debugger (Linux: not dumpable, core size limit 0). Failing to set either is not fatal.
fn keep_memory_private() {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{
            DumpableBehavior, Resource, Rlimit, set_dumpable_behavior, setrlimit,
        };
        let _ = setrlimit(
            Resource::Core,
            Rlimit {
                current: Some(0),
                maximum: Some(0),
            },
        );
        let _ = set_dumpable_behavior(DumpableBehavior::NotDumpable);
    }
}

/// mimalloc asks the kernel for transparent huge pages, and the first touch of each one
/// clears 2 MB: opening a 5 MB document spent most of its time clearing memory it never
/// used, once per thread. Without them, memory costs what is touched. Failing is not fatal.
fn small_pages() {
    #[cfg(target_os = "linux")]
    let _ = rustix::thread::disable_transparent_huge_pages(true);
}

/// `mi_option_purge_delay` of mimalloc's `mi_option_t` (`mimalloc.h`), in milliseconds; the
/// crate exports no name for it.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// mimalloc gives memory that is freed back to the kernel a second later by default. Each
/// keystroke in a large document frees megabytes (the earlier text, the parts parsed again),
/// so a second of typing held 100 MB more than the documents need; after 20 ms it holds a
/// few. `MIMALLOC_PURGE_DELAY` in the environment still decides, when set.
fn prompt_purge() {
    // SAFETY: an option write, made before any other thread starts.
    unsafe { libmimalloc_sys::mi_option_set_default(PURGE_DELAY, 20) };
}

/// Threads for analyses and file reads at once (tokio's default is 512).
const BLOCKING_THREADS: usize = 32;

/// The language server, on a multi-threaded runtime: requests run beside each other and
/// analyses on blocking threads. The blocking pool is bounded and its threads are kept: every
/// new thread gets its own allocator heap, and a pool that grows to hundreds of short-lived
/// threads under a burst of edits leaves their heaps behind, so memory climbs for minutes.
/// An analysis past its budget keeps its thread, so the bound leaves room for many.
fn serve() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(BLOCKING_THREADS)
        .thread_keep_alive(std::time::Duration::from_secs(300))
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("vaultlink: cannot start the language server: {e}");
            return ExitCode::from(cli::EXIT_FAILED as u8);
        }
    };
    runtime.block_on(vaultlink::lsp::run_stdio());
    // A read of stdin may still be blocked on a thread: after `exit` the client need not
    // close its end, so do not wait for it.
    runtime.shutdown_background();
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    #[test]
    fn freed_memory_goes_back_to_the_kernel_after_20_ms() {
        super::prompt_purge();
        let delay = unsafe { libmimalloc_sys::mi_option_get(super::PURGE_DELAY) };
        match std::env::var("MIMALLOC_PURGE_DELAY") {
            Ok(set) => assert_eq!(delay.to_string(), set),
            Err(_) => assert_eq!(delay, 20),
        }
    }
}
